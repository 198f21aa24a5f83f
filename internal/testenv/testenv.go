// Package testenv lets tests say whether they ran against an outside
// dependency (PostgreSQL, Chromium) or were skipped for want of it, so that
// `make test` can end with a summary true to what ran.
package testenv

import (
	"os"
	"strings"
	"testing"
)

// ReportEnv names the file that collects one line per test and dependency:
// "<dependency> ran <test>" or "<dependency> skipped <test>: <why>".
// make test sets it; without it nothing is written.
const ReportEnv = "CLAUDIT_TEST_REPORT"

// Dependency is something outside Go that some tests need.
type Dependency string

const (
	// Postgres is a PostgreSQL server (CLAUDIT_TEST_POSTGRES).
	Postgres Dependency = "postgres"
	// Browser is headless Chromium.
	Browser Dependency = "browser"
)

// RequireEnv names the variable that, set to 1 (as CI does), turns a skip
// for want of d into a failure.
func (d Dependency) RequireEnv() string {
	if d == Browser {
		return "CLAUDIT_REQUIRE_CHROMIUM"
	}
	return "CLAUDIT_REQUIRE_" + strings.ToUpper(string(d))
}

// Ran records that t runs against d.
func Ran(t testing.TB, d Dependency) {
	t.Helper()
	report(t, string(d)+" ran "+t.Name())
}

// Skip skips t because d is missing: why is the one-line reason the summary
// shows, detail what the test log adds (the error, how to install d). When
// d is required it fails t instead.
func Skip(t testing.TB, d Dependency, why, detail string) {
	t.Helper()
	if os.Getenv(d.RequireEnv()) == "1" {
		t.Fatalf("%s is required (%s=1) but %s: %s", d, d.RequireEnv(), why, detail)
		return
	}
	report(t, string(d)+" skipped "+t.Name()+": "+why)
	t.Skipf("%s: %s: %s", d, why, detail)
}

// report appends line to the report file in one write, so that test
// processes running side by side do not interleave their lines.
func report(t testing.TB, line string) {
	t.Helper()
	path := os.Getenv(ReportEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Logf("test report: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(strings.ReplaceAll(line, "\n", " ") + "\n"); err != nil {
		t.Logf("test report: %v", err)
	}
}
