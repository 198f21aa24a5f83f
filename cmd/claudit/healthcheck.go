package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

func init() {
	register("healthcheck", "exit 0 when the local dashboard answers /readyz (for container health checks)", cmdHealthcheck)
}

// cmdHealthcheck lets a container image without curl or a shell check the
// server: Docker's HEALTHCHECK runs the binary itself.
func cmdHealthcheck(ctx context.Context, args []string) error {
	fs := newFlags("healthcheck", "[--config FILE] [--url URL]", `
Asks the dashboard of this machine whether it is ready (GET /readyz: the
database answers) and exits 0 if so, 1 if not. The address is listen: of
the config, with a wildcard host (0.0.0.0, ::) read as 127.0.0.1; --url
overrides it. The container image's HEALTHCHECK runs it.`)
	cfgPath := configFlag(fs)
	rawURL := fs.String("url", "", "URL to check (default: http://<listen>/readyz from the config)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	u := *rawURL
	if u == "" {
		cfg, err := loadConfig(fs, *cfgPath)
		if err != nil {
			return err
		}
		u = "http://" + localAddr(cfg.Listen) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("--url %q: %w", u, err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("not ready: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("not ready: %s answered %s", u, res.Status)
	}
	return nil
}

// localAddr turns a listen address into one to dial on this machine.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
