package policy

// Every detector family registers itself in init; importing them here makes
// them available to every Engine. encoded also registers the decode stage's
// decoder.
import (
	_ "github.com/claudit/claudit/internal/policy/detect/agent"
	_ "github.com/claudit/claudit/internal/policy/detect/aigenerated"
	_ "github.com/claudit/claudit/internal/policy/detect/banned"
	_ "github.com/claudit/claudit/internal/policy/detect/code"
	_ "github.com/claudit/claudit/internal/policy/detect/codeinjection"
	_ "github.com/claudit/claudit/internal/policy/detect/contenttype"
	_ "github.com/claudit/claudit/internal/policy/detect/encoded"
	_ "github.com/claudit/claudit/internal/policy/detect/functioncall"
	_ "github.com/claudit/claudit/internal/policy/detect/grounding"
	_ "github.com/claudit/claudit/internal/policy/detect/language"
	_ "github.com/claudit/claudit/internal/policy/detect/llmjudge"
	_ "github.com/claudit/claudit/internal/policy/detect/markings"
	_ "github.com/claudit/claudit/internal/policy/detect/pii"
	_ "github.com/claudit/claudit/internal/policy/detect/promptattack"
	_ "github.com/claudit/claudit/internal/policy/detect/secrets"
	_ "github.com/claudit/claudit/internal/policy/detect/topics"
	_ "github.com/claudit/claudit/internal/policy/detect/toxicity"
	_ "github.com/claudit/claudit/internal/policy/detect/urls"
)
