package report_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/report"
)

// TestComplianceSections: each framework's section cites the period's
// evidence with links into the dashboard, and gaps are marked.
func TestComplianceSectionsSQLite(t *testing.T) {
	s := openSQLite(t)
	seed(t, s)
	facts := report.Facts{Policies: []report.PolicyFact{{Name: "pii", Enabled: true}, {Name: "secrets", Enabled: true}, {Name: "toxicity"}},
		RetentionDays: 90, BaseURL: "https://claudit.example.com/"}
	rep, err := report.Build(context.Background(), s, report.Options{From: from, To: to, GeneratedAt: generatedAt, Compliance: &facts})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, sec := range rep.Compliance {
		ids = append(ids, sec.ID)
		if len(sec.Evidence) == 0 {
			t.Errorf("%s cites no evidence", sec.ID)
		}
	}
	if got := strings.Join(ids, " "); got != "soc2-cc7-2 hipaa-164-312-b gdpr-art-30 gdpr-art-32 iso-42001 eu-ai-act" {
		t.Fatalf("sections %s", got)
	}
	var md bytes.Buffer
	if err := report.Markdown(&md, rep); err != nil {
		t.Fatal(err)
	}
	golden(t, "compliance.md.golden", md.Bytes()[bytes.Index(md.Bytes(), []byte("## Compliance evidence")):])
	var html bytes.Buffer
	if err := report.HTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<section class="control" id="soc2-cc7-2">`, `href="https://claudit.example.com/policies" target="_top">2 of 3 enabled</a>`,
		`<tr class="attention"><td>Logs kept at least six months</td><td>no: retention_days is 90, below 183 <strong>(check)</strong>`} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML report lacks %s", want)
		}
	}
}
