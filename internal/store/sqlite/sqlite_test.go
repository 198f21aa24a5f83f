package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
	"github.com/claudit/claudit/internal/store/sqlstore"
	"github.com/claudit/claudit/internal/store/storetest"
)

func TestStoreSuite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "claudit.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "claudit.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	in := &store.Integration{Name: "acme", BaseURL: "http://x"}
	if err := s.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Integration(ctx, "acme"); err != nil {
		t.Fatalf("migrations re-ran or data lost: %v", err)
	}
}

// TestFullTextIndexMatchesMessages stores pages that mix new, repeated,
// grown and changed chats (new rows then come in several rowid runs) and
// checks FTS5 against the messages table.
func TestFullTextIndexMatchesMessages(t *testing.T) {
	ctx := context.Background()
	s, in := openWithIntegration(t)
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	chat := func(id string, texts ...string) store.HydratedChat {
		hc := store.HydratedChat{Chat: store.Chat{ID: id, Name: id, CreatedAt: t0, UpdatedAt: t0}}
		for i, txt := range texts {
			hc.Messages = append(hc.Messages, store.Message{ID: fmt.Sprintf("%s_m%d", id, i), ChatID: id, Seq: i, Role: "user",
				Text: txt, CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
		}
		return hc
	}
	page := func(chats ...store.HydratedChat) store.Page {
		return store.Page{Chats: &store.ChatPage{IntegrationID: in.ID, Chats: chats}}
	}
	pages := []store.Page{
		page(chat("a", "alpha one", "alpha two"), chat("b", "bravo one")),
		page(chat("c", "charlie one"), chat("a", "alpha one", "alpha two", "alpha three"), chat("d", "delta one")),
		page(chat("b", "bravo changed"), chat("e", "echo one")),
	}
	if _, err := s.SavePages(ctx, pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveChatPage(ctx, *page(chat("f", "foxtrot one"), chat("a", "alpha one", "alpha two", "alpha three", "alpha four")).Chats); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Fatalf("full-text index differs from the messages: %v", err)
	}
	for word, want := range map[string]int{"alpha": 4, "bravo": 1, "changed": 1, "charlie": 1, "delta": 1, "echo": 1, "foxtrot": 1, "one": 5} {
		got, _, err := s.PromptEvents(ctx, store.EventFilter{IntegrationID: in.ID, Query: word, Limit: 50})
		if err != nil || len(got) != want {
			t.Fatalf("search %q: %d results, want %d (%v)", word, len(got), want, err)
		}
	}
}

// TestDatabaseFilesPrivate wants a new database, its WAL and its shared
// memory file readable by the owner only: they hold every prompt.
func TestDatabaseFilesPrivate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "claudit.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := &store.Integration{Name: "acme", BaseURL: "http://127.0.0.1:1"}
	if err := s.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(p), perm)
		}
	}
}

// TestInsertStatementSizes stores pages of every size around the rows one
// INSERT carries (the rest goes in statements of 32, 16, ... 1 rows,
// prepared once and reused by every transaction), half of each page
// stored before: every page reports the rows it added, and each row is
// stored once.
func TestInsertStatementSizes(t *testing.T) {
	ctx := context.Background()
	s, in := openWithIntegration(t)
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	acts, msgs := 0, 0
	for n := 1; n <= 131; n += 13 {
		var ap store.ActivityPage
		cp := store.ChatPage{IntegrationID: in.ID}
		ap.IntegrationID = in.ID
		hc := store.HydratedChat{Chat: store.Chat{ID: fmt.Sprintf("chat_%d", n), CreatedAt: t0, UpdatedAt: t0}}
		for i := range n {
			// Every other row repeats one of the previous page.
			id := fmt.Sprintf("%d_%d", n, i)
			if i%2 == 1 && n > 1 {
				id = fmt.Sprintf("%d_%d", n-13, i/2)
			}
			ap.Activities = append(ap.Activities, store.Activity{ID: "activity_" + id, CreatedAt: t0.Add(time.Duration(i) * time.Second),
				Type: "sso_login_succeeded", Raw: []byte(`{}`)})
			hc.Messages = append(hc.Messages, store.Message{ID: "msg_" + id, Seq: i, Role: "user", Text: "text " + id, CreatedAt: t0})
		}
		cp.Chats = []store.HydratedChat{hc}
		res, err := s.SavePages(ctx, []store.Page{{Activities: &ap}, {Chats: &cp}})
		if err != nil {
			t.Fatalf("%d rows: %v", n, err)
		}
		counts, err := s.Counts(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].Activities != counts.Activities-acts || res[1].Messages != counts.Messages-msgs {
			t.Fatalf("%d rows: reported %d activities and %d messages, stored %d and %d",
				n, res[0].Activities, res[1].Messages, counts.Activities-acts, counts.Messages-msgs)
		}
		acts, msgs = counts.Activities, counts.Messages
	}
	if acts < 400 || msgs != acts {
		t.Fatalf("%d activities, %d messages stored", acts, msgs)
	}
}

// openWithIntegration opens a new SQLite store, closed when t ends, with
// one integration.
func openWithIntegration(t *testing.T) (*sqlstore.Store, *store.Integration) {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "claudit.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	in := &store.Integration{Name: "acme", BaseURL: "http://x"}
	if err := s.UpsertIntegration(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	return s, in
}
