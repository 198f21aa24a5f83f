package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT
// says otherwise. With the collector's default (GOGC=100) the heap grows to
// twice what is live before a collection, and sync, backfill and evaluation
// hold up to about 100 MB live at their peaks (activity pages queued for the
// writer while batches are evaluated): over 300 MB of RSS with SQLite's
// caches (about 80 MB at a million events, twice the page cache; see
// internal/store/sqlite) and the binary (30 MB). Under the limit the
// collector runs earlier only while the heap nears it. 160 MiB kept the
// peak of the 1 M-event bench with policies on at 299 MB (one run) where
// 200 MiB reached 302 (docs/PERFORMANCE.md). GOMEMLIMIT=off (or any value) replaces it, for a
// deployment whose live heap is larger.
const defaultMemoryLimit = 160 << 20

// limitMemory sets the default soft memory limit when GOMEMLIMIT is unset,
// except for 'claudit simulate': the simulator holds its whole synthetic
// organization in memory (about 1.2 KB per activity), so under the limit
// its collector would run back to back from about 150 k activities on.
func limitMemory(args []string) {
	if os.Getenv("GOMEMLIMIT") == "" && (len(args) == 0 || args[0] != "simulate") {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
