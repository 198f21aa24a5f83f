// Package storetest is the one test suite every store backend must pass.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// Opener returns a fresh, empty store for one test.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite against a backend.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"Integrations", testIntegrations},
		{"ActivityPagesDedupeAndCheckpoint", testActivityPages},
		{"ChatPagesKeepTextOfDeletedChats", testChatPages},
		{"SavePagesInOneTransaction", testSavePages},
		{"PromptEventFiltersAndCursor", testPromptEvents},
		{"FullTextSearchIsSafe", testFullText},
		{"FullTextSearchStrategies", testSearchStrategies},
		{"SearchMatchesWildcardsLiterally", testSearchWildcards},
		{"LoginThrottleCountsEveryFailure", testLoginThrottle},
		{"APITokens", testAPITokens},
		{"AccessEvents", testAccessEvents},
		{"BackfillClaims", testBackfillClaims},
		{"Evaluations", testEvaluations},
		{"PendingEventsAndUserPlaces", testPendingAndPlaces},
		{"EvaluationsInBatches", testEvaluationsBatch},
		{"Runs", testRuns},
		{"HostileText", testHostileText},
		{"AlertTransaction", testAlertTx},
		{"AlertTriage", testAlertTriage},
		{"SessionList", testSessionList},
		{"CountEvents", testCountEvents},
		{"Outbox", testOutbox},
		{"LeasesUseTheDatabaseClock", testLeaseClock},
		{"Retention", testRetention},
		{"QuarantinedItems", testQuarantined},
		{"FileTexts", testFileTexts},
		{"DeletionRequests", testDeletionRequests},
		{"ObjectDeleted", testObjectDeleted},
		{"Directory", testDirectory},
		{"GroupFilters", testGroupFilters},
		{"CountActivities", testCountActivities},
		{"InventorySources", testInventorySources},
		{"BackendName", testBackendName},
		{"Accounts", testAccounts},
		{"WebSessions", testWebSessions},
		{"Datasets", testDatasets},
		{"IntegrationKey", testIntegrationKey},
		{"Overview", testOverview},
		{"ReportData", testReportData},
		{"EventFindings", testEventFindings},
		{"Suppressions", testSuppressions},
		{"LeaseAndCompactLog", testLeaseAndCompactLog},
	}
	// Each test has a store of its own, so they run side by side: the
	// PostgreSQL ones spend most of their time waiting on the server.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
	t.Run("InstallIDRandomPerDatabase", func(t *testing.T) { testInstallID(t, open) })
	t.Run("EveryMethodHasACase", testEveryMethodHasACase)
}

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func integration(t *testing.T, s store.Store, name string) *store.Integration {
	t.Helper()
	in := &store.Integration{Name: name, BaseURL: "http://127.0.0.1:1", Interval: 5 * time.Minute}
	if err := s.UpsertIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return in
}

func testIntegrations(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	if in.ID == 0 || in.Mode != "full" {
		t.Fatalf("integration not saved: %+v", in)
	}
	if err := s.SetIntegrationState(ctx, in.ID, true, "feed_only"); err != nil {
		t.Fatal(err)
	}
	// A config reload must not unpause or reset the mode.
	again := &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:2", Interval: time.Minute}
	if err := s.UpsertIntegration(ctx, again); err != nil {
		t.Fatal(err)
	}
	if !again.Paused || again.Mode != "feed_only" || again.BaseURL != "http://127.0.0.1:2" || again.Interval != time.Minute {
		t.Fatalf("upsert lost state: %+v", again)
	}
	if err := s.MarkSynced(ctx, in.ID, t0, ""); err != nil {
		t.Fatal(err)
	}
	got, err := s.IntegrationByID(ctx, in.ID)
	if err != nil || !got.LastSyncedAt.Equal(t0) {
		t.Fatalf("last synced: %v %v", got, err)
	}
	// A failure keeps its kind until a sync or a passing test clears it.
	if err := s.SetIntegrationFailure(ctx, in.ID, "auth_failed", "401 authentication_error"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IntegrationByID(ctx, in.ID); got.LastFailure != "auth_failed" || got.LastError != "401 authentication_error" || !got.LastSyncedAt.Equal(t0) {
		t.Fatalf("failure not recorded: %+v", got)
	}
	if err := s.MarkSynced(ctx, in.ID, t0, "disk full"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IntegrationByID(ctx, in.ID); got.LastFailure != "error" || got.LastError != "disk full" {
		t.Fatalf("sync error not recorded: %+v", got)
	}
	if err := s.SetIntegrationFailure(ctx, in.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.IntegrationByID(ctx, in.ID); got.LastFailure != "" || got.LastError != "" {
		t.Fatalf("failure not cleared: %+v", got)
	}
	if _, err := s.Integration(ctx, "nope"); err == nil || !strings.Contains(err.Error(), store.ErrNotFound.Error()) {
		t.Fatalf("missing integration: %v", err)
	}
	list, _ := s.Integrations(ctx)
	if len(list) != 1 {
		t.Fatalf("integrations: %d", len(list))
	}
	if err := s.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	list, _ = s.Integrations(ctx)
	if len(list) != 0 {
		t.Fatalf("integration not deleted")
	}
}

func act(id string, at time.Time, typ, user string) store.Activity {
	raw, _ := json.Marshal(map[string]any{"id": id, "type": typ, "created_at": at})
	return store.Activity{ID: id, CreatedAt: at, Type: typ, ActorType: "user_actor", ActorUserID: user,
		ActorEmail: user + "@example.com", IP: "192.0.2.1", Raw: raw}
}

func testActivityPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	page := store.ActivityPage{IntegrationID: in.ID,
		Activities: []store.Activity{act("activity_1", t0, "sso_login_succeeded", "user_a"), act("activity_2", t0.Add(time.Second), "claude_chat_created", "user_b")},
		Users:      []store.User{{ID: "user_a", Email: "a@example.com", FirstSeen: t0, LastSeen: t0}},
		Checkpoint: &store.Checkpoint{IntegrationID: in.ID, Stream: "activities", Cursor: "activity_2", HighWater: t0.Add(time.Second)}}
	res, err := s.SaveActivityPage(ctx, page)
	if err != nil || res.Activities != 2 {
		t.Fatalf("save: %+v %v", res, err)
	}
	// The same page again (a retry after a crash) inserts nothing.
	page.Checkpoint = &store.Checkpoint{IntegrationID: in.ID, Stream: "activities", Cursor: "activity_2", HighWater: t0}
	res, err = s.SaveActivityPage(ctx, page)
	if err != nil || res.Activities != 0 {
		t.Fatalf("dedupe: %+v %v", res, err)
	}
	cp, err := s.Checkpoint(ctx, in.ID, "activities")
	if err != nil || cp.Cursor != "activity_2" || !cp.HighWater.Equal(t0.Add(time.Second)) {
		t.Fatalf("checkpoint must not move back: %+v %v", cp, err)
	}
	c, _ := s.Counts(ctx, in.ID)
	if c.Activities != 2 || c.ActivitiesByType["sso_login_succeeded"] != 1 || c.Users != 1 {
		t.Fatalf("counts: %+v", c)
	}
	// A long page (several INSERT statements) with stored ids and an id
	// twice counts each new activity once.
	var long []store.Activity
	for i := range 150 {
		long = append(long, act(fmt.Sprintf("activity_long_%03d", i), t0.Add(time.Duration(i)*time.Minute), "claude_chat_viewed", "user_a"))
	}
	long = append(long, act("activity_1", t0, "sso_login_succeeded", "user_a"), long[7])
	if res, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: long}); err != nil || res.Activities != 150 {
		t.Fatalf("long page: %+v %v", res, err)
	}
	if c, _ := s.Counts(ctx, in.ID); c.Activities != 152 {
		t.Fatalf("after the long page: %d activities", c.Activities)
	}
	a, err := s.Activity(ctx, in.ID, "activity_1")
	if err != nil || a.Type != "sso_login_succeeded" || !json.Valid(a.Raw) {
		t.Fatalf("activity: %+v %v", a, err)
	}
}

func chatPage(in *store.Integration, chatID string, texts []string, deleted bool) store.ChatPage {
	c := store.Chat{ID: chatID, Name: "Planning", UserID: "user_a", UserEmail: "a@example.com", Model: "claude-opus-5", CreatedAt: t0, UpdatedAt: t0.Add(time.Hour)}
	if deleted {
		d := t0.Add(2 * time.Hour)
		c.DeletedAt, c.Name = &d, ""
	}
	hc := store.HydratedChat{Chat: c}
	for i, txt := range texts {
		role := "user"
		if i%2 == 1 {
			role = "assistant"
		}
		hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("%s_msg_%d", chatID, i), ChatID: chatID, Seq: i, Role: role,
			Text: txt, UserID: "user_a", UserEmail: "a@example.com", CreatedAt: t0.Add(time.Duration(i) * time.Minute),
			Tokens: len(txt) / 4, ContentRemoved: deleted && txt == "",
			Files: []store.FileMeta{{ID: fmt.Sprintf("claude_file_%s_%d", chatID, i), Kind: "upload", Filename: "a.pdf"}}})
	}
	return store.ChatPage{IntegrationID: in.ID, Chats: []store.HydratedChat{hc}}
}

func testChatPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	res, err := s.SaveChatPage(ctx, chatPage(in, "claude_chat_1", []string{"hello there", "hi, how can I help"}, false))
	if err != nil || res.Messages != 2 || res.Chats != 1 {
		t.Fatalf("save: %+v %v", res, err)
	}
	// The chat grows by one message.
	res, err = s.SaveChatPage(ctx, chatPage(in, "claude_chat_1", []string{"hello there", "hi, how can I help", "summarise this"}, false))
	if err != nil || res.Messages != 1 {
		t.Fatalf("grow: %+v %v", res, err)
	}
	// Deleted in claude.ai: listed again with no name and content-less messages.
	if _, err := s.SaveChatPage(ctx, chatPage(in, "claude_chat_1", []string{"", "", ""}, true)); err != nil {
		t.Fatal(err)
	}
	c, err := s.Chat(ctx, in.ID, "claude_chat_1")
	if err != nil || c.DeletedAt == nil || c.Name != "Planning" || c.MessageCount != 3 {
		t.Fatalf("chat after delete: %+v %v", c, err)
	}
	msgs, err := s.ChatMessages(ctx, in.ID, "claude_chat_1")
	if err != nil || len(msgs) != 3 || msgs[0].Text != "hello there" || !msgs[0].ContentRemoved || msgs[2].Text != "summarise this" {
		t.Fatalf("messages after delete: %+v %v", msgs, err)
	}
	if len(msgs[0].Files) != 1 || msgs[0].Files[0].Filename != "a.pdf" {
		t.Fatalf("files lost: %+v", msgs[0].Files)
	}
	if err := s.MarkChatHardDeleted(ctx, in.ID, "claude_chat_1", t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Chat(ctx, in.ID, "claude_chat_1")
	if !c.HardDeleted {
		t.Fatalf("hard delete not recorded")
	}
	n, _ := s.Counts(ctx, in.ID)
	if n.Chats != 1 || n.DeletedChats != 1 || n.Messages != 3 || n.Files != 3 {
		t.Fatalf("counts: %+v", n)
	}
}

// testSavePages stores activity and chat pages of two streams in one call:
// each page counts what it added, the later checkpoint of a stream wins, a
// chat the API lost is marked with its page, and a page repeated in the same
// call adds nothing.
func testSavePages(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	cp := func(stream, cursor string) *store.Checkpoint {
		return &store.Checkpoint{IntegrationID: in.ID, Stream: stream, Cursor: cursor, HighWater: t0}
	}
	acts1 := store.ActivityPage{IntegrationID: in.ID, Checkpoint: cp("activities", "activity_2"),
		Activities: []store.Activity{act("activity_1", t0, "sso_login_succeeded", "user_a"), act("activity_2", t0.Add(time.Second), "claude_chat_created", "user_a")}}
	acts2 := store.ActivityPage{IntegrationID: in.ID, Checkpoint: cp("activities", "activity_3"),
		Activities: []store.Activity{act("activity_2", t0.Add(time.Second), "claude_chat_created", "user_a"), act("activity_3", t0.Add(2*time.Second), "user_logged_out", "user_b")}}
	chats1 := chatPage(in, "claude_chat_1", []string{"hello there", "hi"}, false)
	chats1.Checkpoint = cp("chats", "c1")
	gone := t0.Add(time.Hour)
	chats2 := chatPage(in, "claude_chat_2", nil, false)
	chats2.Chats[0].GoneAt = &gone
	chats2.Checkpoint = cp("chats", "c2")
	res, err := s.SavePages(ctx, []store.Page{{Activities: &acts1}, {Chats: &chats1}, {Activities: &acts2}, {Chats: &chats2}, {Chats: &chats1}})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SaveResult{{Activities: 2}, {Chats: 1, Messages: 2}, {Activities: 1}, {Chats: 1}, {Chats: 1}}
	if len(res) != len(want) {
		t.Fatalf("%d results for %d pages", len(res), len(want))
	}
	for i := range want {
		if res[i] != want[i] {
			t.Fatalf("page %d: %+v, want %+v", i, res[i], want[i])
		}
	}
	for stream, cursor := range map[string]string{"activities": "activity_3", "chats": "c1"} {
		if got, _ := s.Checkpoint(ctx, in.ID, stream); got.Cursor != cursor {
			t.Fatalf("%s checkpoint %q, want the last page's %q", stream, got.Cursor, cursor)
		}
	}
	c, err := s.Chat(ctx, in.ID, "claude_chat_2")
	if err != nil || !c.HardDeleted || c.DeletedAt == nil || !c.DeletedAt.Equal(gone) {
		t.Fatalf("lost chat not marked: %+v %v", c, err)
	}
	if n, _ := s.Counts(ctx, in.ID); n.Activities != 3 || n.Messages != 2 || n.Chats != 2 {
		t.Fatalf("counts: %+v", n)
	}
	if got, _, err := s.PromptEvents(ctx, store.EventFilter{IntegrationID: in.ID, Query: "hello"}); err != nil || len(got) != 1 {
		t.Fatalf("full text after SavePages: %d %v", len(got), err)
	}
}

func seedMessages(t *testing.T, s store.Store, in *store.Integration, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		texts := []string{fmt.Sprintf("question %d about invoices", i), fmt.Sprintf("answer %d about budgets", i)}
		p := chatPage(in, fmt.Sprintf("claude_chat_%03d", i), texts, false)
		for j := range p.Chats[0].Messages {
			p.Chats[0].Messages[j].CreatedAt = t0.Add(time.Duration(i*2+j) * time.Minute)
			if i%2 == 0 {
				p.Chats[0].Messages[j].UserID, p.Chats[0].Messages[j].UserEmail = "user_b", "b@example.com"
			}
		}
		if _, err := s.SaveChatPage(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
}

func testPromptEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 30)
	seen := map[string]bool{}
	f := store.EventFilter{IntegrationID: in.ID, Limit: 7}
	var prev time.Time
	for pages := 0; ; pages++ {
		evs, next, err := s.PromptEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if seen[e.ID] {
				t.Fatalf("duplicate %s", e.ID)
			}
			if !prev.IsZero() && e.CreatedAt.After(prev) {
				t.Fatalf("not newest first")
			}
			prev = e.CreatedAt
			seen[e.ID] = true
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	if len(seen) != 60 {
		t.Fatalf("paged %d of 60", len(seen))
	}
	evs, _, _ := s.PromptEvents(ctx, store.EventFilter{User: "b@example.com", Limit: 1000})
	if len(evs) != 30 {
		t.Fatalf("by email: %d", len(evs))
	}
	// user_b is known from its messages alone, seen from the first to the last.
	us, err := s.Users(ctx, in.ID, "b@example.com", 10)
	if err != nil || len(us) != 1 || !us[0].FirstSeen.Equal(t0) || !us[0].LastSeen.Equal(t0.Add(57*time.Minute)) {
		t.Fatalf("user_b from its messages: %+v %v", us, err)
	}
	evs, _, _ = s.PromptEvents(ctx, store.EventFilter{User: "user_b", Role: "user", From: t0, To: t0.Add(20 * time.Minute), Limit: 1000})
	if len(evs) != 5 {
		t.Fatalf("by id, role and window: %d", len(evs))
	}
	if _, _, err := s.PromptEvents(ctx, store.EventFilter{Cursor: "!!"}); err == nil {
		t.Fatalf("bad cursor accepted")
	}
}

func testFullText(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 5)
	evs, _, err := s.PromptEvents(ctx, store.EventFilter{Query: "invoices", Limit: 100})
	if err != nil || len(evs) != 5 {
		t.Fatalf("search: %d %v", len(evs), err)
	}
	evs, _, err = s.PromptEvents(ctx, store.EventFilter{Query: "answer budgets", Limit: 100})
	if err != nil || len(evs) != 5 {
		t.Fatalf("two words: %d %v", len(evs), err)
	}
	for _, q := range []string{`"unbalanced`, `a OR b NEAR(`, `*`, `'; DROP TABLE messages; --`, `col:x`, `-`} {
		if _, _, err := s.PromptEvents(ctx, store.EventFilter{Query: q, Limit: 10}); err != nil {
			t.Fatalf("query %q: %v", q, err)
		}
	}
}

// testSearchWildcards searches for LIKE's wildcards and wants them matched
// as the characters they are: "%" must not list every user.
func testSearchWildcards(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 4)
	acts := []store.Activity{act("activity_1", t0, "sso_login_succeeded", "user_a"), act("activity_2", t0, "sso_login_succeeded", "user%c")}
	if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"%", 0}, {"b%example", 0}, {"_", 2}, {"user_", 2}, {"a_example", 0}, {`\`, 0}, {"b@example", 1}} {
		us, err := s.Users(ctx, in.ID, tc.q, 100)
		if err != nil || len(us) != tc.want {
			t.Errorf("users matching %q: %d, want %d (%v)", tc.q, len(us), tc.want, err)
		}
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"%", 1}, {"_", 2}, {"user%c@", 1}, {"sso%succeeded", 0}, {"192.0.2._", 0}} {
		evs, _, err := s.AccessEvents(ctx, store.EventFilter{Query: tc.q, Limit: 100})
		if err != nil || len(evs) != tc.want {
			t.Errorf("access events matching %q: %d, want %d (%v)", tc.q, len(evs), tc.want, err)
		}
	}
	if cs, err := s.Chats(ctx, store.ChatFilter{Query: "%", Limit: 100}); err != nil || len(cs) != 0 {
		t.Errorf("chats matching %%: %d (%v)", len(cs), err)
	}
	if err := s.AppendAudit(ctx, &store.AuditEntry{At: t0, Actor: "admin@example.com", Action: "view", Object: "events", Detail: "q=x"}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"%", 0}, {"admin_example", 0}, {"q=x", 1}} {
		es, err := s.AuditLog(ctx, store.AuditFilter{Query: tc.q, Limit: 100})
		if err != nil || len(es) != tc.want {
			t.Errorf("audit entries matching %q: %d, want %d (%v)", tc.q, len(es), tc.want, err)
		}
	}
}

// testLoginThrottle counts failed sign-ins per key, concurrently, restarts
// the count after a quiet spell, and keeps and lists locks.
func testLoginThrottle(t *testing.T, s store.Store) {
	ctx := context.Background()
	const key = "account:ana@example.com"
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.AddLoginFailure(ctx, key, t0.Add(time.Duration(i)*time.Second), t0.Add(-time.Hour))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	lt, err := s.AddLoginFailure(ctx, key, t0.Add(time.Minute), t0.Add(-time.Hour))
	if err != nil || lt.Failures != 21 || !lt.LastFailure.Equal(t0.Add(time.Minute)) || !lt.LockedUntil.IsZero() {
		t.Fatalf("after 21 failures: %+v %v", lt, err)
	}
	until := t0.Add(10 * time.Minute)
	if err := s.LockLogin(ctx, key, until); err != nil {
		t.Fatal(err)
	}
	// An earlier time never shortens a lock.
	if err := s.LockLogin(ctx, key, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddLoginFailure(ctx, "ip:192.0.2.1", t0, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoginThrottles(ctx, []string{key, "ip:192.0.2.1", "ip:198.51.100.9"})
	if err != nil || len(got) != 2 {
		t.Fatalf("throttles: %+v %v", got, err)
	}
	locks, err := s.LoginLocks(ctx, t0)
	if err != nil || len(locks) != 1 || locks[0].Key != key || !locks[0].LockedUntil.Equal(until) {
		t.Fatalf("locks: %+v %v", locks, err)
	}
	if locks, _ := s.LoginLocks(ctx, until); len(locks) != 0 {
		t.Fatalf("lock listed after it ended: %+v", locks)
	}
	// A failure after a quiet spell starts the count again; the lock stays.
	lt, err = s.AddLoginFailure(ctx, key, t0.Add(3*time.Hour), t0.Add(2*time.Hour))
	if err != nil || lt.Failures != 1 || !lt.LockedUntil.Equal(until) {
		t.Fatalf("after a quiet spell: %+v %v", lt, err)
	}
	if err := s.ClearLoginThrottle(ctx, key); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.LoginThrottles(ctx, []string{key}); len(got) != 0 {
		t.Fatalf("cleared key still there: %+v", got)
	}
	// Pruning forgets quiet, unlocked keys and keeps the rest.
	if _, err := s.AddLoginFailure(ctx, key, t0.Add(3*time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneLoginThrottles(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want the address's row only", n, err)
	}
	if got, _ := s.LoginThrottles(ctx, []string{key, "ip:192.0.2.1"}); len(got) != 1 || got[0].Key != key {
		t.Fatalf("after pruning: %+v", got)
	}
}

// testAPITokens stores tokens by hash, reads them back with their owner,
// lists them per account, records use and keeps the first revocation.
func testAPITokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	ana := &store.Account{Email: "ana@example.com", Role: store.RoleAnalyst, PasswordHash: "x"}
	bo := &store.Account{Email: "bo@example.com", Role: store.RoleAdmin, PasswordHash: "x"}
	for _, a := range []*store.Account{ana, bo} {
		if err := s.CreateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	siem := &store.APIToken{AccountID: ana.ID, Name: "siem", Prefix: "claudit_ab", Hash: "h1", Role: store.RoleViewer,
		CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)}
	if err := s.CreateAPIToken(ctx, siem); err != nil || siem.ID == 0 {
		t.Fatalf("create: %+v %v", siem, err)
	}
	other := &store.APIToken{AccountID: bo.ID, Name: "soar", Prefix: "claudit_cd", Hash: "h2", Role: store.RoleAdmin, CreatedAt: t0.Add(time.Second)}
	if err := s.CreateAPIToken(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAPIToken(ctx, &store.APIToken{AccountID: bo.ID, Name: "dup", Hash: "h2", Role: store.RoleViewer}); !errors.Is(err, store.ErrExists) {
		t.Fatalf("same hash twice: %v, want ErrExists", err)
	}
	got, err := s.APITokenByHash(ctx, "h1")
	if err != nil || got.ID != siem.ID || got.Email != ana.Email || got.Role != store.RoleViewer || got.Name != "siem" ||
		!got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(siem.ExpiresAt) || !got.LastUsedAt.IsZero() || !got.RevokedAt.IsZero() {
		t.Fatalf("by hash: %+v %v", got, err)
	}
	if got, err := s.APIToken(ctx, other.ID); err != nil || !got.ExpiresAt.IsZero() || got.Email != bo.Email {
		t.Fatalf("by id: %+v %v", got, err)
	}
	if _, err := s.APITokenByHash(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	if list, err := s.APITokens(ctx, ana.ID); err != nil || len(list) != 1 || list[0].ID != siem.ID {
		t.Fatalf("ana's tokens: %+v %v", list, err)
	}
	if list, err := s.APITokens(ctx, 0); err != nil || len(list) != 2 || list[0].ID != other.ID {
		t.Fatalf("all tokens, newest first: %+v %v", list, err)
	}
	if err := s.TouchAPIToken(ctx, siem.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIToken(ctx, siem.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIToken(ctx, siem.ID, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = s.APITokenByHash(ctx, "h1")
	if err != nil || !got.LastUsedAt.Equal(t0.Add(time.Hour)) || !got.RevokedAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after use and revocation: %+v %v", got, err)
	}
	if err := s.RevokeAPIToken(ctx, 999999, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

func testAccessEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	var acts []store.Activity
	for i := 0; i < 12; i++ {
		typ := "sso_login_succeeded"
		if i%3 == 0 {
			typ = "mcp_server_created"
		}
		acts = append(acts, act(fmt.Sprintf("activity_%02d", i), t0.Add(time.Duration(i)*time.Minute), typ, "user_a"))
	}
	if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: acts}); err != nil {
		t.Fatal(err)
	}
	evs, next, err := s.AccessEvents(ctx, store.EventFilter{Type: "mcp_server_created", Limit: 3})
	if err != nil || len(evs) != 3 || next == "" {
		t.Fatalf("type filter: %d %q %v", len(evs), next, err)
	}
	evs, _, _ = s.AccessEvents(ctx, store.EventFilter{Type: "mcp_server_created", Cursor: next, Limit: 3})
	if len(evs) != 1 {
		t.Fatalf("second page: %d", len(evs))
	}
	evs, _, _ = s.AccessEvents(ctx, store.EventFilter{User: "user_a@example.com", Ascending: true, Limit: 100})
	if len(evs) != 12 || evs[0].ID != "activity_00" {
		t.Fatalf("ascending by email: %d", len(evs))
	}
}

func testBackfillClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	b := &store.Backfill{IntegrationID: in.ID, From: t0, To: t0.Add(4 * 24 * time.Hour)}
	var batches []store.Batch
	for i := 0; i < 4; i++ {
		batches = append(batches, store.Batch{From: t0.Add(time.Duration(i) * 24 * time.Hour), To: t0.Add(time.Duration(i+1) * 24 * time.Hour)})
	}
	if err := s.CreateBackfill(ctx, b, batches); err != nil {
		t.Fatal(err)
	}
	got, err := s.ClaimBatches(ctx, b.ID, "w1", 2, time.Minute, 3)
	if err != nil || len(got) != 2 || got[0].Seq != 0 || got[0].Attempts != 1 {
		t.Fatalf("claim: %+v %v", got, err)
	}
	other, _ := s.ClaimBatches(ctx, b.ID, "w2", 5, time.Minute, 3)
	if len(other) != 2 || other[0].Seq != 2 {
		t.Fatalf("second worker must get the other two: %+v", other)
	}
	// Progress recorded with data, then done.
	cur := "activity_x"
	if _, err := s.SaveActivityPage(ctx, store.ActivityPage{IntegrationID: in.ID, Activities: []store.Activity{act("activity_b", t0, "sso_login_succeeded", "u")},
		BatchProgress: &store.BatchProgress{BatchID: got[0].ID, ActivityCursor: &cur, SyncedUpTo: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishBatch(ctx, got[0].ID, "w1", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishBatch(ctx, got[1].ID, "w1", "boom"); err != nil {
		t.Fatal(err)
	}
	// w2 dies: its leases expire and can be taken over; the failed batch is retried.
	if err := s.ExtendClaim(ctx, other[0].ID, "w1", time.Minute); err == nil {
		t.Fatalf("extend by non-owner must fail")
	}
	retry, _ := s.ClaimBatches(ctx, b.ID, "w3", 5, time.Minute, 3)
	if len(retry) != 1 || retry[0].ID != got[1].ID || retry[0].Attempts != 2 {
		t.Fatalf("failed batch should be retried: %+v", retry)
	}
	if err := s.ReleaseBatches(ctx, b.ID, "w2"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetBackfillStatus(ctx, b.ID, store.BackfillPaused, ""); err != nil {
		t.Fatal(err)
	}
	none, _ := s.ClaimBatches(ctx, b.ID, "w3", 5, time.Minute, 3)
	if len(none) != 0 {
		t.Fatalf("paused job handed out batches")
	}
	bf, err := s.Backfill(ctx, b.ID)
	if err != nil || bf.Batches != 4 || bf.BatchesDone != 1 || bf.Activities != 1 || !bf.SyncedUpTo.Equal(t0.Add(time.Hour)) || bf.Status != store.BackfillPaused {
		t.Fatalf("progress: %+v %v", bf, err)
	}
	bs, _ := s.Batches(ctx, b.ID)
	if bs[0].ActivityCursor != cur || bs[2].Status != store.BatchPending {
		t.Fatalf("batches: %+v", bs)
	}
	list, _ := s.Backfills(ctx, in.ID)
	if len(list) != 1 {
		t.Fatalf("list: %d", len(list))
	}
}

func testEvaluations(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	seedMessages(t, s, in, 3)
	ms, err := s.UnevaluatedMessages(ctx, 100)
	if err != nil || len(ms) != 6 {
		t.Fatalf("unevaluated: %d %v", len(ms), err)
	}
	var evals []store.Evaluation
	for i, m := range ms {
		e := store.Evaluation{IntegrationID: in.ID, Kind: "prompt", EventID: m.ID, Version: "v1", Tags: []string{"No PII"}}
		if i == 0 {
			e.Tags = []string{"PII: EMAIL"}
			e.Findings = []store.Finding{{Policy: "pii", Detector: "pii", Entity: "EMAIL", Severity: "high", Action: "block", EffectiveAction: "alert", Score: 0.9, ChatID: m.ChatID, EventTime: m.CreatedAt}}
		}
		evals = append(evals, e)
	}
	if err := s.SaveEvaluations(ctx, evals); err != nil {
		t.Fatal(err)
	}
	if ms, _ := s.UnevaluatedMessages(ctx, 100); len(ms) != 0 {
		t.Fatalf("still unevaluated: %d", len(ms))
	}
	v, _, _ := s.PromptEvents(ctx, store.EventFilter{ViolationsOnly: true, Limit: 10})
	if len(v) != 1 || v[0].Violations != 1 || v[0].Tags[0] != "PII: EMAIL" {
		t.Fatalf("violations: %+v", v)
	}
	v, _, _ = s.PromptEvents(ctx, store.EventFilter{Policy: "pii", Severity: "high", Limit: 10})
	if len(v) != 1 {
		t.Fatalf("policy filter: %d", len(v))
	}
	v, _, _ = s.PromptEvents(ctx, store.EventFilter{Tag: "No PII", Limit: 10})
	if len(v) != 5 {
		t.Fatalf("tag filter: %d", len(v))
	}
	fs, _ := s.Findings(ctx, in.ID, "prompt", "", ms0ChatID(evals))
	if len(fs) != 1 || fs[0].EffectiveAction != "alert" || fs[0].Action != "block" {
		t.Fatalf("findings: %+v", fs)
	}
	if n, err := s.ResetEvaluations(ctx, "v1"); err != nil || n != 0 {
		t.Fatalf("reset same version: %d %v", n, err)
	}
	if n, err := s.ResetEvaluations(ctx, "v2"); err != nil || n != 6 {
		t.Fatalf("reset: %d %v", n, err)
	}
}

func ms0ChatID(evals []store.Evaluation) string { return evals[0].Findings[0].ChatID }

func testRuns(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	r := &store.Run{IntegrationID: in.ID, Kind: "sync"}
	if err := s.StartRun(ctx, r); err != nil || r.ID == 0 {
		t.Fatalf("start: %v", err)
	}
	r.Activities, r.Messages, r.Error = 5, 7, "partial"
	if err := s.FinishRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	runs, _ := s.Runs(ctx, in.ID, 10)
	if len(runs) != 1 || runs[0].Messages != 7 || runs[0].Error != "partial" || runs[0].FinishedAt.IsZero() {
		t.Fatalf("runs: %+v", runs)
	}
}

func testHostileText(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := integration(t, s, "acme")
	hostile := "<script>alert(1)</script>\x00 \xff\xfe '; DROP TABLE messages; -- " + strings.Repeat("x", 5<<20)
	p := chatPage(in, "claude_chat_hostile", []string{hostile}, false)
	if _, err := s.SaveChatPage(ctx, p); err != nil {
		t.Fatal(err)
	}
	m, err := s.Message(ctx, in.ID, "claude_chat_hostile_msg_0")
	if err != nil || m.Text != store.CleanText(hostile) || !strings.Contains(m.Text, "<script>alert(1)</script>\u2400 \uFFFD") {
		t.Fatalf("5 MB hostile text not kept: %v", err)
	}
}
