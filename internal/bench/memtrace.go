package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite/lib"
)

// memTrace samples this process's memory every interval into path, when
// CLAUDIT_BENCH_MEMTRACE names a file: resident anonymous and file pages,
// what the Go runtime has mapped and not released, and its live heap, so
// that the rest of the anonymous memory (SQLite's, through libc) can be
// told apart. It returns a function that stops it.
func memTrace(phase func() string) func() {
	path := os.Getenv("CLAUDIT_BENCH_MEMTRACE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	start := time.Now()
	fmt.Fprintln(f, "t phase rss_mb anon_mb file_mb go_mapped_mb go_objects_mb go_live_mb nongo_anon_mb sqlite_mb sqlite_hi_mb pcache_mb")
	heapDir := os.Getenv("CLAUDIT_BENCH_HEAPPROF_DIR")
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for i := 0; ; i++ {
			if heapDir != "" && i%5 == 0 {
				if hf, err := os.Create(fmt.Sprintf("%s/heap-%04d-%s.pprof", heapDir, i, phase())); err == nil {
					_ = pprof.Lookup("heap").WriteTo(hf, 0)
					hf.Close()
				}
			}
			st := procStatus()
			metrics.Read(samples)
			goMapped := float64(samples[0].Value.Uint64()-samples[1].Value.Uint64()) / (1 << 20)
			sq, sqHi := sqliteStatus(sqlite3.SQLITE_STATUS_MEMORY_USED)
			pc, _ := sqliteStatus(sqlite3.SQLITE_STATUS_PAGECACHE_OVERFLOW)
			fmt.Fprintf(f, "%.0f %s %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", time.Since(start).Seconds(), phase(), st["VmRSS"], st["RssAnon"], st["RssFile"],
				goMapped, float64(samples[3].Value.Uint64())/(1<<20), float64(samples[2].Value.Uint64())/(1<<20), st["RssAnon"]-goMapped, sq, sqHi, pc)
			select {
			case <-stop:
				f.Close()
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(stop); <-done }
}

// procStatus reads the kB fields of /proc/self/status, in MB.
func procStatus() map[string]float64 {
	out := map[string]float64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasSuffix(v, "kB") {
			continue
		}
		n, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
		out[k] = n / 1024
	}
	return out
}
