package deletion_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/deletion"
	"github.com/claudit/claudit/internal/ingest"
	"github.com/claudit/claudit/internal/simulator"
	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/store/sqlstore"
)

var end = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

var (
	analyst = deletion.Actor{ID: 1, Email: "analyst@example.com", Role: store.RoleAnalyst}
	admin   = deletion.Actor{ID: 2, Email: "admin@example.com", Role: store.RoleAdmin}
	admin2  = deletion.Actor{ID: 3, Email: "second-admin@example.com", Role: store.RoleAdmin}
)

// countDeletes counts the DELETE requests a client sends (an observer on
// the real transport, not a mock: every request still reaches the simulator).
type countDeletes struct{ n atomic.Int64 }

func (c *countDeletes) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodDelete && !strings.Contains(r.URL.Path, "claudit-scope-check") {
		c.n.Add(1)
	}
	return http.DefaultTransport.RoundTrip(r)
}

type env struct {
	sim     *simulator.Server
	api     *compliance.Client // the test's own reader of the simulator
	st      *sqlstore.Store
	svc     *deletion.Service
	in      *store.Integration
	deletes *countDeletes
}

// setup syncs a small simulated organization into SQLite over loopback HTTP.
func setup(t *testing.T, scopes []string) *env {
	t.Helper()
	ctx := context.Background()
	sim, err := simulator.New(simulator.Config{Seed: 19, Users: 6, Days: 2, End: end, RateLimit: -1, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sim.Handler())
	t.Cleanup(ts.Close)
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "claudit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	in := &store.Integration{Name: "sim", BaseURL: ts.URL, Interval: time.Minute}
	if err := st.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, st: st, in: in, deletes: &countDeletes{}}
	newClient := func() *compliance.Client {
		c, err := compliance.New(compliance.Options{BaseURL: ts.URL, APIKey: simulator.DefaultKey, RequestsPerMinute: -1, MaxRetries: -1,
			HTTPClient: &http.Client{Transport: e.deletes}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	e.api = newClient()
	sy := ingest.NewSyncer(in, e.api, st, ingest.Settings{SkipSessions: true}, nil)
	if _, err := sy.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	e.svc = &deletion.Service{Store: st, Deletions: st, Audit: st,
		Client: func(context.Context, *store.Integration) (*compliance.Client, error) { return newClient(), nil }}
	return e
}

// finding stores a finding on a message of chatID, as evaluation would.
func (e *env) finding(t *testing.T, chatID string) {
	t.Helper()
	ctx := context.Background()
	ms, err := e.st.ChatMessages(ctx, e.in.ID, chatID)
	if err != nil || len(ms) == 0 {
		t.Fatalf("messages of %s: %d %v", chatID, len(ms), err)
	}
	m := ms[0]
	if err := e.st.SaveEvaluations(ctx, []store.Evaluation{{IntegrationID: e.in.ID, Kind: "prompt", EventID: m.ID, Version: "test",
		Findings: []store.Finding{{Policy: "secrets", Detector: "secrets", Severity: "high", Action: "alert", EffectiveAction: "alert",
			ChatID: chatID, UserID: m.UserID, EventTime: m.CreatedAt}}}}); err != nil {
		t.Fatal(err)
	}
}

// chat picks a live chat outside any project, and one inside a project that has chats.
func (e *env) chats(t *testing.T) (loose string, project, inProject string) {
	t.Helper()
	ctx := context.Background()
	cs, err := e.st.Chats(ctx, store.ChatFilter{IntegrationID: e.in.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.DeletedAt != nil || c.MessageCount == 0 {
			continue
		}
		if c.ProjectID == "" && loose == "" {
			loose = c.ID
		}
		if c.ProjectID != "" && project == "" {
			project, inProject = c.ProjectID, c.ID
		}
	}
	if loose == "" || project == "" {
		t.Fatalf("the simulated organization has no loose chat (%q) or project with chats (%q)", loose, project)
	}
	return loose, project, inProject
}

func TestApprovalByAnotherAdminDeletes(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	chat, _, _ := e.chats(t)
	e.finding(t, chat)

	d, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteChat, chat, "API key pasted into the chat")
	if err != nil || d.Status != store.DeletionPending || d.Findings != 1 {
		t.Fatalf("request: %+v %v", d, err)
	}
	if e.deletes.n.Load() != 0 {
		t.Fatal("a request alone sent a DELETE")
	}
	// An analyst cannot approve, not even another's request.
	if _, err := e.svc.Approve(ctx, deletion.Actor{ID: 9, Email: "other-analyst@example.com", Role: store.RoleAnalyst}, d.ID, ""); !errors.Is(err, deletion.ErrNotAdmin) {
		t.Fatalf("analyst approval: %v, want ErrNotAdmin", err)
	}
	got, err := e.svc.Approve(ctx, admin, d.ID, "confirmed with the user's manager")
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	if got.Status != store.DeletionDeleted || got.ResultType != "claude_chat_deleted" || got.DecidedEmail != admin.Email {
		t.Fatalf("after approval: %+v", got)
	}
	if n := e.deletes.n.Load(); n != 1 {
		t.Fatalf("DELETE requests sent: %d, want 1", n)
	}
	// The simulator no longer has it: 404 afterwards, also for a second delete.
	if _, err := e.api.GetChatMessages(ctx, chat, compliance.MessagesQuery{}); !compliance.IsNotFound(err) {
		t.Fatalf("deleted chat read: %v, want 404", err)
	}
	if _, err := e.api.DeleteChat(ctx, chat); !compliance.IsNotFound(err) {
		t.Fatalf("second delete: %v, want 404", err)
	}
	if c, err := e.st.Chat(ctx, e.in.ID, chat); err != nil || !c.HardDeleted {
		t.Fatalf("stored chat not marked deleted: %+v %v", c, err)
	}
	// The receipt is in the access audit.
	es, err := e.st.AuditLog(ctx, store.AuditFilter{Action: "delete", Object: store.DeleteChat, ObjectID: chat, Limit: 10})
	if err != nil || len(es) != 1 {
		t.Fatalf("audit receipt: %+v %v", es, err)
	}
	for _, want := range []string{`"answered_type":"claude_chat_deleted"`, `"approved_by":"admin@example.com"`, `"requested_by":"analyst@example.com"`, `"reason":"API key pasted`} {
		if !strings.Contains(es[0].Detail, want) {
			t.Errorf("receipt %s lacks %s", es[0].Detail, want)
		}
	}
	// Decided once: approving again is refused without sending.
	if _, err := e.svc.Approve(ctx, admin2, d.ID, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second approval: %v, want ErrConflict", err)
	}
	if n := e.deletes.n.Load(); n != 2 { // the approval's and this test's second delete
		t.Fatalf("DELETE requests after a second approval: %d, want 2", n)
	}
}

func TestSelfApprovalRefused(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	chat, _, _ := e.chats(t)
	e.finding(t, chat)
	d, err := e.svc.Request(ctx, admin, e.in.ID, store.DeleteChat, chat, "patient record pasted")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Approve(ctx, admin, d.ID, ""); !errors.Is(err, deletion.ErrSelfApproval) {
		t.Fatalf("self-approval: %v, want ErrSelfApproval", err)
	}
	// The same person under another account id (an SSO login) is refused too.
	if _, err := e.svc.Approve(ctx, deletion.Actor{ID: 77, Email: "ADMIN@example.com", Role: store.RoleAdmin}, d.ID, ""); !errors.Is(err, deletion.ErrSelfApproval) {
		t.Fatalf("self-approval by email: %v, want ErrSelfApproval", err)
	}
	if n := e.deletes.n.Load(); n != 0 {
		t.Fatalf("DELETE requests sent: %d, want none", n)
	}
	if got, _ := e.st.DeletionRequest(ctx, d.ID); got.Status != store.DeletionPending {
		t.Fatalf("status after refusals: %s, want pending", got.Status)
	}
	if _, ok := e.sim.ChatMessages(chat); !ok {
		t.Fatal("the chat was deleted without another admin's approval")
	}
	// Another admin can still approve it.
	if got, err := e.svc.Approve(ctx, admin2, d.ID, ""); err != nil || got.Status != store.DeletionDeleted {
		t.Fatalf("approval by another admin: %+v %v", got, err)
	}
}

func TestMissingDeleteScopeRefusedBeforeSending(t *testing.T) {
	e := setup(t, []string{simulator.ScopeActivities, simulator.ScopeUserData, simulator.ScopeOrgData})
	ctx := context.Background()
	chat, _, _ := e.chats(t)
	e.finding(t, chat)
	held, err := e.svc.CheckScope(ctx, e.in)
	if err != nil || held {
		t.Fatalf("scope check: held=%v %v, want not held", held, err)
	}
	d, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteChat, chat, "secret in chat")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Approve(ctx, admin, d.ID, "")
	if !errors.Is(err, deletion.ErrMissingScope) || !strings.Contains(err.Error(), "delete:compliance_user_data") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("approve without the scope: %v", err)
	}
	if n := e.deletes.n.Load(); n != 0 {
		t.Fatalf("DELETE requests sent: %d, want none", n)
	}
	if got, _ := e.st.DeletionRequest(ctx, d.ID); got.Status != store.DeletionPending {
		t.Fatalf("status: %s, want still pending (approve again once the key has the scope)", got.Status)
	}
	if _, ok := e.sim.ChatMessages(chat); !ok {
		t.Fatal("chat deleted without the scope")
	}
}

func TestProjectWithChatsAnswers409(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	_, project, inProject := e.chats(t)
	e.finding(t, inProject)
	d, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteProject, project, "confidential project")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Approve(ctx, admin, d.ID, "")
	if err == nil || !strings.Contains(err.Error(), "409") || !strings.Contains(err.Error(), "chats attached") {
		t.Fatalf("approve a project with chats: %v", err)
	}
	if got.Status != store.DeletionFailed || !strings.Contains(got.Error, "request deletion of its chats") {
		t.Fatalf("request after 409: %+v", got)
	}
	if _, err := e.api.GetProject(ctx, project); err != nil {
		t.Fatalf("project after 409: %v, want it still there", err)
	}
	es, _ := e.st.AuditLog(ctx, store.AuditFilter{Action: "delete", Object: store.DeleteProject, Limit: 10})
	if len(es) != 1 || !strings.Contains(es[0].Detail, `"status":"failed"`) {
		t.Fatalf("audit of the failed delete: %+v", es)
	}
}

func TestRequestNeedsFindingAndReason(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	chat, _, _ := e.chats(t)
	if _, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteChat, chat, "no reason to keep it"); !errors.Is(err, deletion.ErrNoFindings) {
		t.Fatalf("chat without findings: %v, want ErrNoFindings", err)
	}
	e.finding(t, chat)
	if _, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteChat, chat, "  "); err == nil {
		t.Fatal("request without a reason accepted")
	}
	if _, err := e.svc.Request(ctx, deletion.Actor{ID: 5, Email: "v@example.com", Role: store.RoleViewer}, e.in.ID, store.DeleteChat, chat, "r"); !errors.Is(err, deletion.ErrNotAnalyst) {
		t.Fatalf("viewer request: %v, want ErrNotAnalyst", err)
	}
	d, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteChat, chat, "r")
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Reject(ctx, admin, d.ID, "needed for the investigation")
	if err != nil || got.Status != store.DeletionRejected {
		t.Fatalf("reject: %+v %v", got, err)
	}
	if _, err := e.svc.Approve(ctx, admin2, d.ID, ""); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("approve a rejected request: %v, want ErrConflict", err)
	}
	if n := e.deletes.n.Load(); n != 0 {
		t.Fatalf("DELETE requests sent: %d, want none", n)
	}
}

// TestDeletedProjectAndFileMarkedDeleted: once the API deleted a project
// (its chats gone first) or a file, claudit marks it deleted and the
// inventory leaves it out, as it does a deleted chat.
func TestDeletedProjectAndFileMarkedDeleted(t *testing.T) {
	e := setup(t, nil)
	ctx := context.Background()
	_, project, inProject := e.chats(t)
	e.finding(t, inProject)
	// Detach the project: delete its chats in the simulator first.
	for pg, err := range e.api.ChatPages(ctx, compliance.ChatQuery{UserIDs: e.sim.UserIDs(), ProjectIDs: []string{project}}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range pg.Data {
			if _, err := e.api.DeleteChat(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	d, err := e.svc.Request(ctx, analyst, e.in.ID, store.DeleteProject, project, "confidential project")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Approve(ctx, admin, d.ID, ""); err != nil || got.Status != store.DeletionDeleted || got.ResultType != "claude_project_deleted" {
		t.Fatalf("approve the project's deletion: %+v %v", got, err)
	}
	ps, err := e.st.ProjectUsages(ctx, e.in.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ID == project {
			t.Fatalf("deleted project %s is still in the inventory: %+v", project, p)
		}
	}

	fs, err := e.st.FileUsages(ctx, e.in.ID, 1000)
	if err != nil || len(fs) == 0 {
		t.Fatalf("files: %d %v", len(fs), err)
	}
	var file string
	for _, f := range fs {
		if _, err := e.api.GetFile(ctx, f.ID); err == nil && f.Kind == "upload" {
			file = f.ID
			break
		}
	}
	if file == "" {
		t.Fatal("no stored file the simulator still has")
	}
	// A finding on the file's own text.
	if err := e.st.SaveEvaluations(ctx, []store.Evaluation{{IntegrationID: e.in.ID, Kind: "prompt", EventID: file, Version: "test",
		Findings: []store.Finding{{Policy: "pii", Detector: "pii", Severity: "high", Action: "alert", EffectiveAction: "alert", EventTime: end}}}}); err != nil {
		t.Fatal(err)
	}
	d, err = e.svc.Request(ctx, analyst, e.in.ID, store.DeleteFile, file, "patient record uploaded")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.Approve(ctx, admin2, d.ID, ""); err != nil || got.Status != store.DeletionDeleted || got.ResultType != "claude_file_deleted" {
		t.Fatalf("approve the file's deletion: %+v %v", got, err)
	}
	if _, err := e.api.GetFile(ctx, file); !compliance.IsNotFound(err) {
		t.Fatalf("deleted file read: %v, want 404", err)
	}
	if fs, _ = e.st.FileUsages(ctx, e.in.ID, 1000); slices.ContainsFunc(fs, func(f store.FileUsage) bool { return f.ID == file }) {
		t.Fatalf("deleted file %s is still in the inventory", file)
	}
}
