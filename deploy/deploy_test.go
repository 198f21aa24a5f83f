// Package deploy_test checks the files that install claudit: the
// Dockerfile, deploy/compose.yaml and its config, and the systemd unit; and
// brings the compose file up where a container engine runs.
package deploy_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/config"
)

type composeService struct {
	Image       string         `yaml:"image"`
	Build       map[string]any `yaml:"build"`
	Command     []string       `yaml:"command"`
	Ports       []string       `yaml:"ports"`
	Volumes     []string       `yaml:"volumes"`
	Environment map[string]string
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

// TestComposeFile: PostgreSQL and two claudit replicas of one image on one
// database and config, each with a health check, started once PostgreSQL is
// healthy; the config they share is valid.
func TestComposeFile(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Services map[string]composeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	pg, ok := f.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:") || len(pg.Healthcheck.Test) == 0 {
		t.Fatalf("postgres service: %+v", pg)
	}
	var replicas []composeService
	for name, s := range f.Services {
		if strings.HasPrefix(name, "claudit-") {
			replicas = append(replicas, s)
		}
	}
	if len(replicas) != 2 {
		t.Fatalf("%d claudit replicas, want 2", len(replicas))
	}
	for i, s := range replicas {
		if s.Build == nil || s.Image != replicas[0].Image || !slices.Equal(s.Command, []string{"serve", "--config", "/etc/claudit/claudit.yaml"}) {
			t.Errorf("replica %d: %+v", i, s)
		}
		if s.DependsOn["postgres"].Condition != "service_healthy" {
			t.Errorf("replica %d starts before PostgreSQL is healthy", i)
		}
		if !slices.Contains(s.Healthcheck.Test, "healthcheck") {
			t.Errorf("replica %d health check: %v", i, s.Healthcheck.Test)
		}
		if !slices.Contains(s.Volumes, "./claudit.yaml:/etc/claudit/claudit.yaml:ro") {
			t.Errorf("replica %d volumes: %v", i, s.Volumes)
		}
	}
	if replicas[0].Ports[0] == replicas[1].Ports[0] {
		t.Error("both replicas publish the same port")
	}
	cfg, err := config.Load("claudit.yaml", true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cfg.Database, "postgres://") || !strings.Contains(cfg.Database, "@postgres:5432/") || cfg.Listen != "0.0.0.0:8080" {
		t.Fatalf("compose config: database %s, listen %s", cfg.Database, cfg.Listen)
	}
}

// TestDockerfile: multi-stage, a static (cgo-free) binary, a non-root user,
// and a health check that runs the binary itself (the base has no shell).
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	user, health := "", ""
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "FROM "):
			froms = append(froms, line)
		case strings.HasPrefix(line, "USER "):
			user = strings.TrimPrefix(line, "USER ")
		case strings.HasPrefix(line, "HEALTHCHECK "):
			health = line
		}
	}
	if len(froms) < 2 || !strings.Contains(froms[len(froms)-1], "static") {
		t.Errorf("stages: %v, want a build stage and a static runtime base", froms)
	}
	if user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("USER %q: the image must not run as root", user)
	}
	if !strings.Contains(string(b), "CGO_ENABLED=0") {
		t.Error("the binary is not built static (CGO_ENABLED=0)")
	}
	if !strings.Contains(string(b), "healthcheck") || health == "" {
		t.Errorf("HEALTHCHECK: %q", health)
	}
}

// TestSystemdUnit: the unit runs serve with the /etc config, as a user of
// its own with a private state directory, and restarts on failure.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("claudit.service")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(line, "#") {
			keys[k] = v
		}
	}
	for k, want := range map[string]string{
		"ExecStart":      "/usr/local/bin/claudit serve --config /etc/claudit/claudit.yaml",
		"DynamicUser":    "yes",
		"StateDirectory": "claudit",
		"Restart":        "on-failure",
		"WantedBy":       "multi-user.target",
	} {
		if keys[k] != want {
			t.Errorf("%s=%q, want %q", k, keys[k], want)
		}
	}
}

// TestComposeUp runs scripts/compose-test.sh where a container engine
// answers; elsewhere it skips and says why.
func TestComposeUp(t *testing.T) {
	engine := os.Getenv("CONTAINER_ENGINE")
	if engine == "" {
		engine = "docker"
	}
	if _, err := exec.LookPath(engine); err != nil {
		t.Skipf("compose test skipped: no container engine (%s is not installed); scripts/compose-test.sh runs it where one is", engine)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, engine, "info").CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		t.Skipf("compose test skipped: no container engine answers (%s info: %s); scripts/compose-test.sh runs it where one does", engine, lines[len(lines)-1])
	}
	if testing.Short() {
		t.Skip("compose test skipped in -short mode: it builds the image and starts four containers")
	}
	cmd := exec.Command(filepath.Join("..", "scripts", "compose-test.sh"))
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("compose test: %v", err)
	}
}
