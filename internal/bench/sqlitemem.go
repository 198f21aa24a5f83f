package bench

import (
	"math"
	"runtime"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// sqliteMemStatus turns on SQLite's memory statistics; it must run before
// the first connection is opened.
func sqliteMemStatus() {
	tls := libc.NewTLS()
	defer tls.Close()
	va := libc.Xmalloc(tls, 8)
	defer libc.Xfree(tls, va)
	sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_MEMSTATUS, libc.VaList(va, int32(1)))
}

// sqliteStatus returns an sqlite3_status64 counter and its high-water mark, in MB.
func sqliteStatus(op int32) (float64, float64) {
	tls := libc.NewTLS()
	defer tls.Close()
	v := new([2]int64) // the transpiled C code is Go: it may write to the Go heap
	p := uintptr(unsafe.Pointer(v))
	sqlite3.Xsqlite3_status64(tls, op, p, p+8, 0)
	runtime.KeepAlive(v)
	return float64(v[0]) / (1 << 20), float64(v[1]) / (1 << 20)
}

// sqliteReleaseMemory frees what SQLite can of its memory in this process:
// the unpinned pages of every connection's page cache (the build has
// SQLITE_ENABLE_MEMORY_MANAGEMENT, so one call reaches them all).
func sqliteReleaseMemory() {
	tls := libc.NewTLS()
	defer tls.Close()
	sqlite3.Xsqlite3_release_memory(tls, math.MaxInt32)
}
