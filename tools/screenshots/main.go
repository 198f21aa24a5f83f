// Command screenshots regenerates the README's screenshots from the running
// demo: it builds claudit, starts `claudit demo` on a temporary directory,
// waits until the first sync has been evaluated, signs in with headless
// Chromium and writes one PNG per page to docs/screenshots.
//
//	go run ./tools/screenshots            # what `make screenshots` runs
//	go run ./tools/screenshots --out /tmp/shots --chromium /usr/bin/chromium
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// The demo's admin login (cmd/claudit/demo.go).
const (
	demoEmail    = "admin@demo.local"
	demoPassword = "claudit-demo"
)

// shot is one page to capture: a path, or a JavaScript expression giving
// the URL to open (a link found on the page before), and what to wait for.
type shot struct {
	file    string
	path    string
	linkJS  string // evaluated on the current page when path is ""
	waitFor string // CSS selector
	// ready, when set, is a JavaScript predicate polled before the capture.
	ready string
}

var shots = []shot{
	{file: "overview.png", path: "/", waitFor: "#risky-users"},
	{file: "events.png", path: "/events?kind=prompt&violations=1", waitFor: "#events-table"},
	{file: "event-drawer.png", linkJS: `document.querySelector('#events-table tbody tr.row[data-href]').dataset.href`, waitFor: "#drawer"},
	{file: "access-events.png", path: "/events?kind=access", waitFor: "#events-table"},
	{file: "sessions.png", path: "/sessions?sort=risk", waitFor: "#sessions-table"},
	{file: "session.png", linkJS: `document.querySelector('#sessions-table tbody tr a[href^="/sessions/"]').href`, waitFor: "main h1"},
	{file: "users.png", path: "/users?sort=risk", waitFor: "#users-table"},
	{file: "user.png", linkJS: `document.querySelector('#users-table tbody tr a').href`, waitFor: "#user-risk"},
	{file: "alerts.png", path: "/alerts?status=open", waitFor: "#alerts-table"},
	{file: "reports.png", path: "/reports", waitFor: "#report-frame",
		ready: `(() => { const d = document.getElementById('report-frame').contentDocument; return d && d.readyState === 'complete' && d.getElementById('compliance') !== null; })()`},
	{file: "integrations.png", path: "/integrations", waitFor: "main table"},
	{file: "integration-backfill.png", path: "/integrations/1?tab=backfill", waitFor: "#backfill-form"},
	{file: "integration-jobs.png", path: "/integrations/1?tab=jobs", waitFor: "main h1"},
	{file: "policies.png", path: "/policies", waitFor: "main h1"},
	{file: "audit.png", path: "/audit", waitFor: "#audit-table"},
}

func main() {
	out := flag.String("out", filepath.Join("docs", "screenshots"), "folder for the PNG files")
	chromium := flag.String("chromium", "/usr/bin/chromium", "headless Chromium to drive")
	width := flag.Int("width", 1440, "viewport width in pixels")
	height := flag.Int("height", 900, "viewport height in pixels")
	wait := flag.Duration("wait", 4*time.Minute, "how long to wait for the demo's first evaluated sync")
	keep := flag.Bool("keep", false, "keep the demo's temporary folder (its log and database)")
	flag.Parse()
	if err := run(*out, *chromium, *width, *height, *wait, *keep); err != nil {
		log.Fatal(err)
	}
}

func run(out, chromium string, width, height int, wait time.Duration, keep bool) error {
	if _, err := os.Stat(chromium); err != nil {
		return fmt.Errorf("chromium: %w (apt-get install -y chromium, or --chromium PATH)", err)
	}
	if _, err := os.Stat(filepath.Join("cmd", "claudit")); err != nil {
		return errors.New("run from the repository root (make screenshots)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "claudit-screenshots-")
	if err != nil {
		return err
	}
	if keep {
		log.Printf("demo folder: %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	bin := filepath.Join(dir, "claudit")
	build := exec.Command("go", "build", "-o", bin, "./cmd/claudit")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build claudit: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "demo.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	demo := exec.CommandContext(ctx, bin, "demo", "--listen", addr, "--db", filepath.Join(dir, "demo.db"))
	demo.Dir, demo.Stdout, demo.Stderr = dir, logFile, logFile
	demo.Cancel = func() error { return demo.Process.Signal(os.Interrupt) }
	demo.WaitDelay = 20 * time.Second
	if err := demo.Start(); err != nil {
		return fmt.Errorf("start the demo: %w", err)
	}
	defer demo.Wait()
	defer cancel()
	base := "http://" + addr
	if err := waitHealthy(base, time.Minute); err != nil {
		return fmt.Errorf("%w (log: %s)", err, logFile.Name())
	}
	log.Printf("demo running at %s", base)

	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(filepath.Join(dir, "chromium")), chromedp.WindowSize(width, height),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("hide-scrollbars", true))
	defer cancelAlloc()
	bctx, cancelTab := chromedp.NewContext(actx)
	defer cancelTab()
	if err := chromedp.Do(bctx); err != nil {
		return fmt.Errorf("start chromium: %w", err)
	}
	// Times in the shots are in UTC, whatever the machine's zone.
	if _, err := chromedp.Call(bctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "UTC"}); err != nil {
		return err
	}
	do := func(what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
		c, cancel := context.WithTimeout(bctx, d)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	if err := do("login page", time.Minute, chromedp.EmulateViewport(int64(width), int64(height)),
		chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("email"))); err != nil {
		return err
	}
	if err := capture(bctx, filepath.Join(out, "login.png")); err != nil {
		return err
	}
	if err := do("sign in", time.Minute, chromedp.SendKeys(chromedp.ID("email"), demoEmail), chromedp.SendKeys(chromedp.ID("password"), demoPassword),
		chromedp.Click(chromedp.ID("login-submit")), chromedp.WaitVisible(chromedp.CSS("nav.side"))); err != nil {
		return err
	}
	log.Printf("waiting for the first evaluated sync (up to %s)", wait)
	// The overview has prompts, violations and risky users once the first sync is stored and evaluated.
	ready := chromedp.Poll[chromedp.Void](`fetch('/api/v1/overview?days=30').then(r => r.json()).then(o =>
		o.overview.prompts > 0 && o.overview.violations > 0 && o.risky_users.length > 2 && o.open_alerts.length > 2)`,
		chromedp.WithPollingInterval(2*time.Second), chromedp.WithPollingTimeout(wait))
	if err := do("first evaluated sync", wait+time.Minute, ready); err != nil {
		return err
	}
	for _, s := range shots {
		url := base + s.path
		if s.path == "" {
			link, err := chromedp.Run(bctx, chromedp.Evaluate[string](`new URL(`+s.linkJS+`, location.href).href`))
			if err != nil {
				return fmt.Errorf("%s: find the link: %w", s.file, err)
			}
			url = link
		}
		actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(s.waitFor))}
		if s.ready != "" {
			actions = append(actions, chromedp.Poll[chromedp.Void](s.ready))
		}
		if err := do(s.file, time.Minute, actions...); err != nil {
			return err
		}
		if err := capture(bctx, filepath.Join(out, s.file)); err != nil {
			return err
		}
	}
	log.Printf("wrote %d screenshots to %s", len(shots)+1, out)
	return nil
}

// capture writes the viewport as a PNG.
func capture(ctx context.Context, path string) error {
	time.Sleep(300 * time.Millisecond) // let fonts and the framed report settle
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", path, err)
	}
	log.Printf("%s", path)
	return os.WriteFile(path, buf, 0o644)
}

func waitHealthy(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("the demo did not answer on %s within %s", base, limit)
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
