package policyset

import (
	"context"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/store"
)

// events is an in-memory TrialStore that serves prompt events in pages of
// two and its access events (newest first) in one.
type events struct {
	msgs []store.Message
	acts []store.Activity
}

func (e events) PromptEvents(_ context.Context, f store.EventFilter) ([]store.Message, string, error) {
	i := 0
	if f.Cursor != "" {
		i = int(f.Cursor[0] - '0')
	}
	end := min(i+2, len(e.msgs))
	next := ""
	if end < len(e.msgs) {
		next = string(rune('0' + end))
	}
	return e.msgs[i:end], next, nil
}

func (events) UserGroups(_ context.Context, _ int64, userID string) ([]store.Group, error) {
	if userID == "u-contractor" {
		return []store.Group{{ID: "g1", Name: "contractors"}}, nil
	}
	return nil, nil
}

func (e events) AccessEvents(context.Context, store.EventFilter) ([]store.Activity, string, error) {
	return e.acts, "", nil
}

const wordsYAML = `version: 1
policies:
  - name: words
    detector: banned_substrings
    params: {match_type: word, substrings: [zebra]}
  - name: other
    detector: banned_substrings
    params: {substrings: [giraffe]}
`

func TestTrialCounts(t *testing.T) {
	installed, err := Parse([]byte(wordsYAML), "installed")
	if err != nil {
		t.Fatal(err)
	}
	draft, err := installed.Edit("words", url.Values{"p.substrings": {"horse"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := func(id, text string) store.Message {
		return store.Message{IntegrationID: 1, ID: id, Role: "user", Text: text, CreatedAt: time.Unix(0, 0)}
	}
	st := events{msgs: []store.Message{msg("m1", "a zebra crossing"), msg("m2", "a horse and a zebra"), msg("m3", "horse riding"),
		msg("m4", "a giraffe"), msg("m5", "nothing at all")}}
	res, err := Trial{}.Run(context.Background(), st, installed, draft)
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages != 5 || res.Capped || len(res.Policies) != 1 {
		t.Fatalf("result %+v", res)
	}
	p := res.Policies[0]
	if p.Policy != "words" || p.Before != 2 || p.After != 2 || p.Added != 1 || p.Removed != 1 {
		t.Fatalf("words %+v", p)
	}
	if p.AddedExamples[0].EventID != "m3" || p.RemovedExamples[0].EventID != "m1" {
		t.Fatalf("examples %+v %+v", p.AddedExamples, p.RemovedExamples)
	}
	capped, err := Trial{MaxEvents: 3}.Run(context.Background(), st, installed, draft)
	if err != nil {
		t.Fatal(err)
	}
	if capped.Messages != 3 || !capped.Capped {
		t.Fatalf("capped %+v", capped)
	}
}

func TestInstallWritesTheFileAndReloads(t *testing.T) {
	path := t.TempDir() + "/policies.yaml"
	if err := os.WriteFile(path, []byte(wordsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := policy.NewReloadable(path)
	if err != nil {
		t.Fatal(err)
	}
	in := &Installer{Path: path, Engines: r}
	data, _, err := in.Installed()
	if err != nil || string(data) != wordsYAML {
		t.Fatalf("installed %q, %v", data, err)
	}
	cur, _ := Parse(data, "installed")
	next, err := cur.Edit("other", url.Values{"enabled": {"false"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Install(next.YAML); err != nil {
		t.Fatal(err)
	}
	if r.Version() != next.Version() {
		t.Fatalf("engine version %s, want the installed set's %s", r.Version(), next.Version())
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file %v, %v", st, err)
	}
	if err := in.Install([]byte("policies: [{name: x}]")); err == nil {
		t.Fatal("a bad set was installed")
	}
	if r.Version() != next.Version() {
		t.Fatal("a bad set changed the engine")
	}
}

// TestTrialGroupScope: a policy scoped by group is tried on its group's
// users only, as the evaluate pipeline runs it.
func TestTrialGroupScope(t *testing.T) {
	installed, err := Parse([]byte(`version: 1
policies:
  - name: contractor-words
    detector: banned_substrings
    groups: [contractors]
    params: {substrings: [zebra]}
`), "installed")
	if err != nil {
		t.Fatal(err)
	}
	draft, err := installed.Edit("contractor-words", url.Values{"p.substrings": {"zebra\nhorse"}})
	if err != nil {
		t.Fatal(err)
	}
	msg := func(id, user, text string) store.Message {
		return store.Message{IntegrationID: 1, ID: id, Role: "user", UserID: user, Text: text}
	}
	st := events{msgs: []store.Message{msg("m1", "u-contractor", "a zebra"), msg("m2", "u-contractor", "a horse"), msg("m3", "u-staff", "a horse")}}
	res, err := Trial{}.Run(context.Background(), st, installed, draft)
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Policies[0]; p.Before != 1 || p.After != 2 || p.Added != 1 || p.AddedExamples[0].EventID != "m2" {
		t.Fatalf("%+v", p)
	}
}

// TestTrialActivities: an activity rule's params change is tried over the
// access events; rules that find the same in both sets are left out.
func TestTrialActivities(t *testing.T) {
	installed := defaults(t)
	draft, err := installed.Edit("activity.off_hours_admin_change", url.Values{"p.kinds": {"role change"}})
	if err != nil {
		t.Fatal(err)
	}
	saturday := time.Date(2025, 3, 8, 3, 0, 0, 0, time.UTC)
	act := func(id, typ string, at time.Time) store.Activity {
		return store.Activity{IntegrationID: 1, ID: id, Type: typ, ActorUserID: "u1", CreatedAt: at, Raw: []byte(`{}`)}
	}
	st := events{acts: []store.Activity{act("a2", "rbac_role_created", saturday.Add(time.Hour)), act("a1", "platform_api_key_created", saturday)}}
	res, err := Trial{}.Run(context.Background(), st, installed, draft)
	if err != nil {
		t.Fatal(err)
	}
	if res.Activities != 2 || res.Messages != 0 || len(res.Policies) != 1 {
		t.Fatalf("result %+v", res)
	}
	if p := res.Policies[0]; p.Policy != "activity.off_hours_admin_change" || p.Before != 2 || p.After != 1 || p.Removed != 1 ||
		p.RemovedExamples[0].EventID != "a1" || p.RemovedExamples[0].Kind != "access" {
		t.Fatalf("%+v", p)
	}
}

// TestTrialSessions: a session rule's change is tried over the chats of
// the period, the rule reading the text policies' findings.
func TestTrialSessions(t *testing.T) {
	installed, err := Parse([]byte(`version: 1
policies:
  - name: words
    detector: banned_substrings
    params: {substrings: [zebra]}
session:
  attack_detectors: [banned_substrings]
  repeated_attempts: {count: 3, window: 30m}
`), "installed")
	if err != nil {
		t.Fatal(err)
	}
	draft, err := installed.Edit("session.repeated_attempts", url.Values{"count": {"2"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	msg := func(id, chat string, seq int, text string) store.Message {
		return store.Message{IntegrationID: 1, ID: id, ChatID: chat, Seq: seq, Role: "user", UserID: "u1", Text: text, CreatedAt: at.Add(time.Duration(seq) * time.Minute)}
	}
	// Newest first, as the store pages them.
	st := events{msgs: []store.Message{msg("c1-2", "c1", 2, "zebra again"), msg("c2-1", "c2", 1, "a zebra"), msg("c1-1", "c1", 1, "a zebra"),
		msg("c2-0", "c2", 0, "hello")}}
	res, err := Trial{}.Run(context.Background(), st, installed, draft)
	if err != nil {
		t.Fatal(err)
	}
	if res.Chats != 2 || len(res.Policies) != 1 {
		t.Fatalf("result %+v", res)
	}
	p := res.Policies[0]
	if p.Policy != "session.repeated_attempts" || p.Before != 0 || p.After != 1 || p.Added != 1 ||
		p.AddedExamples[0] != (Example{Kind: "session", IntegrationID: 1, EventID: "c1", Excerpt: p.AddedExamples[0].Excerpt}) {
		t.Fatalf("%+v", p)
	}
}
