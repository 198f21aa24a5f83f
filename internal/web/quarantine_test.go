package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/webtest"
)

// TestQuarantinedItemOnIntegrationPage: an item the sync could not decode
// is shown on its integration's page with the raw JSON and the reason, and
// listed by the JSON API.
func TestQuarantinedItemOnIntegrationPage(t *testing.T) {
	e, ts := newEnv(t, webtest.Options{})
	q := store.Quarantined{IntegrationID: e.Acme.ID, Stream: "activities", ItemID: "activity_01Bad",
		Raw: []byte(`{"id":"activity_01Bad","actor":"deleted-user"}`), Reason: "actor: want a JSON object, got string"}
	if err := e.Store.SaveQuarantined(context.Background(), []store.Quarantined{q}); err != nil {
		t.Fatal(err)
	}
	c := login(t, ts, webtest.AdminEmail)
	res, body := c.get("/integrations/" + strconv.FormatInt(e.Acme.ID, 10))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("integration page: %d", res.StatusCode)
	}
	for _, want := range []string{`id="quarantine-table"`, "activity_01Bad", "actor: want a JSON object, got string", "deleted-user"} {
		if !strings.Contains(body, want) {
			t.Fatalf("integration page lacks %q", want)
		}
	}
	res, body = c.get("/api/v1/integrations/" + strconv.FormatInt(e.Acme.ID, 10))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `"quarantined"`) || !strings.Contains(body, `"item_id": "activity_01Bad"`) {
		t.Fatalf("API: %d %s", res.StatusCode, body)
	}
}
