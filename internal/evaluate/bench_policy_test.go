package evaluate

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

// BenchmarkEachPolicySimulatorChat is
// BenchmarkDefaultPoliciesSimulatorChat for each enabled default policy
// alone, decoding off (as the policy package's BenchmarkEnginePerPolicy
// on its synthetic corpus): where the cost per chat-sized message goes.
// A policy alone pays for the work it shares with others in the full
// set (tokens, feature vectors, the gate), so the parts add up to more
// than the whole.
func BenchmarkEachPolicySimulatorChat(b *testing.B) {
	cfg, err := policy.LoadConfig("")
	if err != nil {
		b.Fatal(err)
	}
	inputs, size := simulatorInputs(b, 64<<10)
	for _, p := range cfg.Policies {
		if !p.Enabled {
			continue
		}
		b.Run(p.Name, func(b *testing.B) {
			one := *cfg
			one.Policies = []policy.Policy{p}
			e, err := policy.NewEngine(&one, policy.WithDecoding(0, 0))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(size)
			ctx := context.Background()
			cpu := processCPU()
			for b.Loop() {
				for _, in := range inputs {
					e.Evaluate(ctx, in)
				}
			}
			used := processCPU() - cpu
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N*len(inputs))/1e3, "cpu-µs/msg")
		})
	}
}
