package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// recorder stands in for a test so that Skip and Fatalf can be observed.
type recorder struct {
	testing.TB
	name          string
	skipped, fail string
}

func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.fail = fmt.Sprintf(format, args...) }

func TestReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report")
	t.Setenv(ReportEnv, path)
	t.Setenv(Postgres.RequireEnv(), "")
	t.Setenv(Browser.RequireEnv(), "1")

	Ran(&recorder{TB: t, name: "TestStore/Suite"}, Postgres)
	pg := &recorder{TB: t, name: "TestOther"}
	Skip(pg, Postgres, "CLAUDIT_TEST_POSTGRES unset", "connection refused\nsecond line")
	if pg.skipped == "" || pg.fail != "" {
		t.Fatalf("postgres not required: skipped %q, failed %q", pg.skipped, pg.fail)
	}
	br := &recorder{TB: t, name: "TestBrowser"}
	Skip(br, Browser, "no chromium", "not at /usr/bin/chromium")
	if br.fail == "" {
		t.Fatal("a required browser was skipped, not failed")
	}

	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "postgres ran TestStore/Suite\npostgres skipped TestOther: CLAUDIT_TEST_POSTGRES unset\n"
	if string(got) != want {
		t.Fatalf("report:\n%s\nwant:\n%s", got, want)
	}
}

func TestNoReportWithoutTheVariable(t *testing.T) {
	t.Setenv(ReportEnv, "")
	t.Chdir(t.TempDir())
	Ran(&recorder{TB: t, name: "TestX"}, Postgres)
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Fatalf("wrote %d files", len(entries))
	}
}
