package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/web/webtest"
)

// TestInteractionsAPI: view=interactions pairs each prompt with the response
// that follows it, in the list, the detail and the export; single messages
// stay the default of the API; a viewer gets both halves redacted.
func TestInteractionsAPI(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	acme := itoa(e.Acme.ID)
	admin := login(t, ts, webtest.AdminEmail)
	viewer := login(t, ts, webtest.ViewerEmail)

	type message struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	}
	var list struct {
		View   string `json:"view"`
		Events []struct {
			Kind  string `json:"kind"`
			Event struct {
				ID         string   `json:"id"`
				UserEmail  string   `json:"user_email"`
				Prompt     *message `json:"prompt"`
				Response   *message `json:"response"`
				Violations int      `json:"violations"`
			} `json:"event"`
			Policies []string `json:"policies"`
		} `json:"events"`
	}
	res, out := admin.api("GET", "/api/v1/events?kind=prompt&view=interactions", nil, false)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", res.StatusCode, out)
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if list.View != "interactions" || len(list.Events) != 3 {
		t.Fatalf("interactions: %s", out)
	}
	first := list.Events[0]
	if first.Kind != "interaction" || first.Event.Prompt == nil || first.Event.Response == nil || first.Event.Prompt.ID != "msg-leak" ||
		first.Event.Response.ID != "msg-leak-reply" || first.Event.UserEmail != "alice@example.com" || first.Event.Violations != 2 ||
		strings.Join(first.Policies, ",") != "secrets,pii" {
		t.Fatalf("first interaction: %+v", first)
	}
	// Single messages stay the API's default.
	if _, out := admin.api("GET", "/api/v1/events?kind=prompt", nil, false); strings.Count(out, `"role": `) != 6 {
		t.Fatalf("single messages: %s", out)
	}
	if res, out := admin.api("GET", "/api/v1/events?kind=prompt&view=threads", nil, false); res.StatusCode != http.StatusBadRequest || !strings.Contains(out, "interactions or messages") {
		t.Fatalf("bad view: %d %s", res.StatusCode, out)
	}

	// The detail of either half is the whole interaction.
	var d struct {
		Kind       string   `json:"kind"`
		Prompt     message  `json:"prompt"`
		Response   message  `json:"response"`
		Violations int      `json:"violations"`
		Actions    []string `json:"actions_taken"`
	}
	_, out = admin.api("GET", "/api/v1/events/interaction/"+acme+"/msg-leak-reply", nil, false)
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Kind != "interaction" || d.Prompt.ID != "msg-leak" || d.Response.ID != "msg-leak-reply" || d.Violations != 2 || len(d.Actions) != 2 {
		t.Fatalf("detail: %s", out)
	}

	// Exports emit either.
	_, out = admin.api("GET", "/api/v1/export?kind=prompt&view=interactions&format=jsonl", nil, false)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], `"kind":"interaction"`) || !strings.Contains(lines[2], `"output":"Never share keys`) {
		t.Fatalf("interaction export:\n%s", out)
	}
	if _, out := admin.api("GET", "/api/v1/export?kind=prompt&format=jsonl", nil, false); strings.Count(out, "\n") != 6 {
		t.Fatalf("message export:\n%s", out)
	}

	// A viewer sees both halves redacted everywhere.
	for _, path := range []string{
		"/api/v1/events?kind=prompt&view=interactions",
		"/api/v1/events/interaction/" + acme + "/msg-leak",
		"/api/v1/export?kind=prompt&view=interactions&format=csv",
		"/events?kind=prompt&open=interaction/" + acme + "/msg-leak",
		"/events/interaction/" + acme + "/msg-leak-reply",
	} {
		res, out := viewer.api("GET", path, nil, false)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.StatusCode, out)
		}
		if strings.Contains(out, webtest.SecretKey) || strings.Contains(out, webtest.PrivateMail) || !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%s: not redacted for a viewer:\n%s", path, out)
		}
	}
}
