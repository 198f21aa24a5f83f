package policyset

import (
	"embed"
	"fmt"
)

//go:embed templates/*.yaml
var templateFS embed.FS

// Template is a ready policy set to start a draft from.
type Template struct {
	ID          string
	Title       string
	Description string
}

// Templates are the ready policy sets, each a policy file in templates/.
var Templates = []Template{
	{"pci", "PCI DSS", "Cardholder data and payment secrets kept out of chats; sharing and bulk exports alert."},
	{"hipaa", "HIPAA", "Protected health information: identifiers, medical context and record numbers."},
	{"source-code", "Source-code protection", "Proprietary code and credentials pasted or uploaded."},
	{"prompt-attack", "Prompt-attack defense", "Injections, jailbreaks, hidden payloads and repeated attempts."},
	{"agent-safety", "Agent safety", "What Claude Code and Cowork sessions do with their tools."},
}

// LoadTemplate returns template id as a set.
func LoadTemplate(id string) (*Set, error) {
	for _, t := range Templates {
		if t.ID != id {
			continue
		}
		data, err := templateFS.ReadFile("templates/" + id + ".yaml")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", id, err)
		}
		return Parse(data, "template "+id)
	}
	return nil, fmt.Errorf("no template %q (templates: pci, hipaa, source-code, prompt-attack, agent-safety)", id)
}
