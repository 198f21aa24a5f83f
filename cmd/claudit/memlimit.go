package main

import (
	"os"
	"runtime/debug"
)

// defaultMemoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT
// says otherwise. With the collector's default (GOGC=100) the heap grows to
// twice what is live before a collection, and sync, backfill and evaluation
// hold up to about 140 MB live at their peaks (a page of hydrated chats
// being stored while batches are evaluated): 300 MB and more of RSS with
// SQLite's caches and the binary. Under the limit the collector runs
// earlier only while the heap nears it, which kept the peak of the
// end-to-end bench at 245-264 MB with the collector's share of the CPU
// profile unchanged (2.3-2.5 %; docs/PERFORMANCE.md). GOMEMLIMIT=off (or any value) replaces it, for a
// deployment whose live heap is larger.
const defaultMemoryLimit = 200 << 20

// limitMemory sets the default soft memory limit when GOMEMLIMIT is unset,
// except for 'claudit simulate': the simulator holds its whole synthetic
// organization in memory (about 1.2 KB per activity), so under the limit
// its collector would run back to back from about 150 k activities on.
func limitMemory(args []string) {
	if os.Getenv("GOMEMLIMIT") == "" && (len(args) == 0 || args[0] != "simulate") {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
