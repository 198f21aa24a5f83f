package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/store/sqlite"
)

// BenchmarkSavePages stores a synthetic sync's pages (about the size of
// `claudit bench --mode sync --users 250 --days 19`: 100 k activities in
// transactions of two pages of 5 000, 17 k chats of 7 messages in
// transactions of 1 000 chats) the way the ingest writer does, and reports
// this process's CPU per stored row: the store's share of ingest CPU
// without fetching, decoding or the simulator.
func BenchmarkSavePages(b *testing.B) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	id := func(prefix string) string {
		var sb strings.Builder
		sb.WriteString(prefix)
		sb.WriteString("01")
		for range 22 {
			sb.WriteByte(alnum[rng.IntN(len(alnum))])
		}
		return sb.String()
	}
	words := strings.Fields("the quick brown fox jumps over lazy dog report quarterly revenue customer data analysis python function " +
		"error deploy server kubernetes cluster migration schema index query latency budget forecast meeting notes summary draft " +
		"email policy compliance review contract clause legal privacy security incident response token password secret key")
	text := func(n int) string {
		var sb strings.Builder
		for sb.Len() < n {
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteByte(' ')
		}
		return sb.String()
	}
	type user struct{ id, email string }
	users := make([]user, 250)
	for i := range users {
		users[i] = user{id("user_"), fmt.Sprintf("user%d@acme-corp.example", i)}
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var groups [][]store.Page
	for range 10 {
		var g []store.Page
		for range 2 {
			p := &store.ActivityPage{}
			for range 5000 {
				u := users[rng.IntN(len(users))]
				aid := id("activity_")
				at := t0.Add(time.Duration(rng.Int64N(int64(19 * 24 * time.Hour))))
				p.Activities = append(p.Activities, store.Activity{ID: aid, CreatedAt: at, Type: "claude_chat_viewed", ActorType: "user_actor",
					ActorUserID: u.id, ActorEmail: u.email, IP: "100.64.12.114", UserAgent: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15",
					OrganizationUUID: "a62a7e3e-a8cd-4b49-ae5d-1f60c620c0c4",
					Raw:              []byte(`{"id":"` + aid + `","created_at":"2026-11-18T20:07:13.868Z","organization_id":"org_019ikZcz17f9upJspxtT9z4Q","actor":{"email_address":"` + u.email + `","type":"user_actor","user_id":"` + u.id + `"},"type":"claude_chat_viewed","claude_chat_id":"` + id("claude_chat_") + `","pad":"` + text(200) + `"}`)})
			}
			g = append(g, store.Page{Activities: p})
		}
		groups = append(groups, g)
	}
	perTx := 5
	if v, err := strconv.Atoi(os.Getenv("SAVEPAGES_CHAT_PAGES_PER_TX")); err == nil && v > 0 {
		perTx = v
	}
	var g []store.Page
	for i := range 85 {
		if i%perTx == 0 && g != nil {
			groups = append(groups, g)
			g = nil
		}
		{
			p := &store.ChatPage{}
			for range 200 {
				u := users[rng.IntN(len(users))]
				at := t0.Add(time.Duration(rng.Int64N(int64(19 * 24 * time.Hour))))
				hc := store.HydratedChat{Chat: store.Chat{ID: id("claude_chat_"), Name: text(30), UserID: u.id, UserEmail: u.email, Model: "claude-sonnet-4-5",
					CreatedAt: at, UpdatedAt: at.Add(time.Hour)}}
				for i := range 7 {
					m := store.Message{ID: id("claude_chat_msg_"), Seq: i, Role: []string{"user", "assistant"}[i%2], Text: text(264), Model: hc.Chat.Model,
						UserID: u.id, UserEmail: u.email, CreatedAt: at.Add(time.Duration(i) * time.Minute), Tokens: 100}
					if rng.IntN(12) == 0 {
						m.Files = []store.FileMeta{{ID: id("claude_file_"), Kind: "upload", Filename: "report.pdf", MimeType: "application/pdf", SizeBytes: 1000}}
					}
					hc.Messages = append(hc.Messages, m)
				}
				p.Chats = append(p.Chats, hc)
			}
			g = append(g, store.Page{Chats: p})
		}
	}
	groups = append(groups, g)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "claudit.db"))
		if err != nil {
			b.Fatal(err)
		}
		in := &store.Integration{Name: "bench", BaseURL: "http://127.0.0.1:1"}
		if err := s.UpsertIntegration(ctx, in); err != nil {
			b.Fatal(err)
		}
		rows := 0
		for _, g := range groups {
			for _, p := range g {
				if p.Activities != nil {
					p.Activities.IntegrationID = in.ID
					rows += len(p.Activities.Activities)
				} else {
					p.Chats.IntegrationID = in.ID
					for _, hc := range p.Chats.Chats {
						rows += 1 + len(hc.Messages)
					}
				}
			}
		}
		cpu0 := cpuSeconds()
		b.StartTimer()
		for _, g := range groups {
			if _, err := s.SavePages(ctx, g); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric((cpuSeconds()-cpu0)*1e6/float64(rows), "cpu-µs/row")
		s.Close()
	}
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
