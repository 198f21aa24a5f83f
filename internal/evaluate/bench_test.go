package evaluate

import (
	"context"
	"strings"
	"syscall"
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
	evaluateSimulator(b, 0)
}

// BenchmarkDefaultPoliciesSimulatorChat is
// BenchmarkDefaultPoliciesSimulatorMessages without the simulator's few
// 1 MiB documents, which make most of its bytes: the chat-sized messages
// (a median of about 140 bytes), where the engine's cost per message
// shows. It reports CPU time per message and MB per CPU second, which a
// busy machine stretches much less than wall time.
func BenchmarkDefaultPoliciesSimulatorChat(b *testing.B) {
	msgs, size, used := evaluateSimulator(b, 64<<10)
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N*msgs)/1e3, "cpu-µs/msg")
	b.ReportMetric(float64(size)*float64(b.N)/used.Seconds()/1e6, "MB/cpu-s")
}

// evaluateSimulator runs the default policies over simulatorInputs(b,
// maxBytes) in b's loop, and returns the number of messages, their size
// and the process CPU time the loop took.
func evaluateSimulator(b *testing.B, maxBytes int) (msgs int, size int64, used time.Duration) {
	inputs, size := simulatorInputs(b, maxBytes)
	e, err := policy.Load("")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	cpu := processCPU()
	for b.Loop() {
		for _, in := range inputs {
			e.Evaluate(ctx, in)
		}
	}
	return len(inputs), size, processCPU() - cpu
}

// simulatorInputs returns the messages of a simulated organization and
// their total size, without those over maxBytes when it is above 0.
func simulatorInputs(b *testing.B, maxBytes int) ([]detect.Input, int64) {
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
			if maxBytes > 0 && len(in.Text) > maxBytes {
				continue
			}
			inputs = append(inputs, in)
			size += int64(len(in.Text))
		}
	}
	return inputs, size
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
