package evaluate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/simulator"
)

// BenchmarkDefaultPoliciesSimulatorMessages evaluates every message of a
// simulated organization (the texts claudit demo ingests: chat, code, logs,
// tool calls, planted secrets and PII) with the default policies, beside
// the policy package's synthetic-corpus benchmarks.
func BenchmarkDefaultPoliciesSimulatorMessages(b *testing.B) {
	sim := testSimulator(b, 3, 30, 5)
	var inputs []detect.Input
	var size int64
	for _, id := range sim.ChatIDs() {
		cm, ok := sim.ChatMessages(id)
		if !ok {
			continue
		}
		for _, m := range cm.ChatMessages {
			in := detect.Input{Text: messageText(m), Role: detect.RoleAssistant, ChatID: id}
			if m.Role != "assistant" {
				in.Role = detect.RoleUser
			}
			inputs = append(inputs, in)
			size += int64(len(in.Text))
		}
	}
	e, err := policy.Load("")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		for _, in := range inputs {
			e.Evaluate(ctx, in)
		}
	}
}

// testSimulator builds a simulated organization with a fixed end, so its
// content is the same on every run.
func testSimulator(t testing.TB, seed int64, users, days int) *simulator.Server {
	t.Helper()
	sim, err := simulator.New(simulator.Config{Seed: seed, Users: users, Days: days,
		End: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return sim
}

// messageText joins a message's text, tool input and tool result blocks.
func messageText(m compliance.Message) string {
	var sb strings.Builder
	for _, c := range m.Content {
		sb.WriteString(c.Text)
		sb.WriteString(c.Input)
		for _, t := range c.Content {
			sb.WriteString(t.Text)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}
