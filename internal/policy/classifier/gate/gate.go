// Package gate embeds the gate model that stands in front of the trained
// injection, jailbreak, toxicity and sexual-content models (see
// classifier.Gate). tools/train writes gate.bin and its manifest gate.json;
// `make models` rebuilds both.
package gate

import (
	"embed"
	"sync"

	"github.com/claudit/claudit/internal/policy/classifier"
)

// Files holds gate.bin and gate.json; a missing gate.bin leaves every
// window open.
//
//go:embed *.json *.bin
var Files embed.FS

// Load returns the embedded gate, decoded once per process.
var Load = sync.OnceValues(func() (*classifier.Gate, error) {
	m, err := classifier.LoadModel(Files, "gate.bin")
	if err != nil {
		return nil, err
	}
	return &classifier.Gate{Model: m}, nil
})
