package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/web/webtest"
)

var hrefAttr = regexp.MustCompile(`(?i)(?:href|src|action|formaction)\s*=\s*"([^"]*)"`)

// TestHostileContentRendersInert checks every page that shows chat text,
// names or alert excerpts: markup arrives escaped and no link runs script.
func TestHostileContentRendersInert(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	acme := itoa(e.Acme.ID)
	for _, who := range []string{webtest.AdminEmail, webtest.ViewerEmail} {
		c := login(t, ts, who)
		for _, path := range []string{
			"/sessions/" + acme + "/chat-xss",
			"/sessions",
			"/events?kind=prompt",
			"/events?kind=prompt&open=prompt/" + acme + "/msg-xss",
			"/events?kind=prompt&open=prompt/" + acme + "/msg-xss-reply",
			"/events?kind=access&open=access/" + acme + "/act-xss",
			"/events/prompt/" + acme + "/msg-xss",
			"/users/" + acme + "/u-bob",
			"/alerts",
			"/alerts/2",
			"/",
		} {
			t.Run(who+" "+path, func(t *testing.T) {
				res, body := c.get(path)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("status %d", res.StatusCode)
				}
				for _, raw := range []string{"<script>alert", "<img", "<b>bold"} {
					if strings.Contains(body, raw) {
						t.Errorf("raw %q in page", raw)
					}
				}
				// Viewers may see the script tag masked: a policy matched it.
				if who == webtest.AdminEmail && path != "/" && !strings.Contains(body, "&lt;script&gt;") {
					t.Errorf("escaped script tag missing: hostile text not shown at all?")
				}
				for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
					if strings.Contains(strings.ToLower(m[1]), "javascript:") {
						t.Errorf("script URL in attribute: %q", m[0])
					}
				}
				// The only scripts are our own external file.
				if n := strings.Count(body, "<script"); n != 1 || !strings.Contains(body, `<script src="/static/app.js" defer></script>`) {
					t.Errorf("unexpected script tags (%d)", n)
				}
			})
		}
	}
	// JSON carries the text as data; the content type keeps browsers from sniffing it as HTML.
	c := login(t, ts, webtest.AdminEmail)
	res, body := c.get("/api/v1/sessions/" + acme + "/chat-xss")
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
	var sess struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	if err := json.Unmarshal([]byte(body), &sess); err != nil || len(sess.Messages) != 2 || !strings.Contains(sess.Messages[0].Text, webtest.XSSScript) {
		t.Fatalf("session JSON lost the original text: %v %s", err, body)
	}
}

func TestViewerRedaction(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	acme := itoa(e.Acme.ID)
	viewer, analyst := login(t, ts, webtest.ViewerEmail), login(t, ts, webtest.AnalystEmail)
	secrets := []string{webtest.SecretKey, webtest.PrivateMail, "sk-a****"}
	for _, path := range []string{
		"/api/v1/events?kind=prompt",
		"/api/v1/events/prompt/" + acme + "/msg-leak",
		"/api/v1/events/prompt/" + acme + "/msg-leak-reply",
		"/api/v1/sessions/" + acme + "/chat-leak",
		"/api/v1/users/" + acme + "/u-alice",
		"/api/v1/alerts",
		"/api/v1/export?kind=prompt&format=jsonl",
		"/export?format=csv",
		"/events?kind=prompt&open=prompt/" + acme + "/msg-leak",
		"/sessions/" + acme + "/chat-leak",
		"/alerts/1",
	} {
		t.Run(path, func(t *testing.T) {
			res, body := viewer.get(path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Errorf("viewer sees %q", s)
				}
			}
			if !strings.Contains(body, "[REDACTED]") {
				t.Errorf("no redaction mark")
			}
			_, full := analyst.get(path)
			if strings.Contains(path, "alerts") {
				return // alert excerpts are pre-masked by the engine already
			}
			if !strings.Contains(full, webtest.SecretKey) {
				t.Errorf("analyst does not see the original text")
			}
		})
	}
	// Access events: viewers get no raw payload and a masked IP.
	var ev struct {
		Access struct {
			IP  string          `json:"ip"`
			Raw json.RawMessage `json:"raw"`
		} `json:"access"`
	}
	viewer.getJSON("/api/v1/events/access/"+acme+"/act-login", &ev)
	if ev.Access.IP != "203.0.113.x" || (len(ev.Access.Raw) > 0 && string(ev.Access.Raw) != "null") {
		t.Fatalf("viewer access event not redacted: %+v", ev.Access)
	}
}
