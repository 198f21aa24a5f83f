package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// TestReportSendNow: an admin's "Send now" sends the named schedule, says
// what was sent and is audited; an unknown schedule or a failed sending is
// a 400 with the reason.
func TestReportSendNow(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var sent []string
	s, err := New(Config{Store: st, Web: st, ReportSchedules: []ReportSchedule{{Name: "weekly"}, {Name: "broken"}},
		SendReport: func(ctx context.Context, name string) (string, error) {
			if name == "broken" {
				return "", errors.New("dial smtp.example.com:587: connection refused")
			}
			sent = append(sent, name)
			return name + ", 2026-11-02 to 2026-11-08", nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	admin := &identity{Account: &store.Account{ID: 1, Email: "admin@example.com", Role: store.RoleAdmin}}
	send := func(name string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/reports/schedules/"+name+"/send", nil)
		r.SetPathValue("name", name)
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, admin))
		w := httptest.NewRecorder()
		s.apiErrors(s.apiReportSend)(w, r)
		return w
	}
	if w := send("weekly"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "2026-11-02 to 2026-11-08") || len(sent) != 1 {
		t.Fatalf("send weekly: %d %s", w.Code, w.Body)
	}
	if w := send("nope"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "no scheduled report named") {
		t.Fatalf("unknown schedule: %d %s", w.Code, w.Body)
	}
	if w := send("broken"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "connection refused") {
		t.Fatalf("failed sending: %d %s", w.Code, w.Body)
	}
	entries, err := st.AuditLog(context.Background(), store.AuditFilter{Object: "report", Limit: 10})
	if err != nil || len(entries) != 2 || entries[1].Detail != "weekly, 2026-11-02 to 2026-11-08" || !strings.HasPrefix(entries[0].Detail, "failed: ") {
		t.Fatalf("audit %+v %v", entries, err)
	}
}
