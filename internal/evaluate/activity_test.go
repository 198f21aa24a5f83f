package evaluate

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

// TestSimulatorSharingIsFlagged runs the activity policies over the
// simulator's feed, whose sharing events have the Compliance API's shapes,
// and checks that exactly the public project shares and link-shared
// artifacts are reported as external sharing.
func TestSimulatorSharingIsFlagged(t *testing.T) {
	sim := testSimulator(t, 5, 40, 10)
	ae := policy.NewActivityEvaluator(policy.DefaultActivityConfig())
	var public, flagged, orgOnly, orgFlagged int
	for _, a := range sim.Activities() {
		if a.Type != "claude_project_sharing_updated" && a.Type != "claude_artifact_sharing_updated" {
			continue
		}
		raw, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		ev := policy.Activity{ID: a.ID, Type: a.Type, Fields: fields(raw)}
		hit := false
		for _, f := range ae.Evaluate(context.Background(), ev) {
			hit = hit || f.Policy == policy.ActivityExternalSharing
		}
		if strings.Contains(string(raw), `"type":"public"`) || strings.Contains(string(raw), `"type":"anyone_with_link"`) {
			public++
			if hit {
				flagged++
			}
		} else {
			orgOnly++
			if hit {
				orgFlagged++
			}
		}
	}
	if public == 0 || orgOnly == 0 {
		t.Fatalf("the simulated feed has %d public and %d internal shares; the test needs both", public, orgOnly)
	}
	if flagged != public || orgFlagged != 0 {
		t.Fatalf("flagged %d of %d public shares and %d of %d internal ones", flagged, public, orgFlagged, orgOnly)
	}
}
