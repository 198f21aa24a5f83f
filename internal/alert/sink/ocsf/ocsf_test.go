package ocsf_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/alert/sink"
	"github.com/claudit/claudit/internal/alert/sink/ocsf"
	"github.com/claudit/claudit/internal/alert/sink/sinktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

var enc = ocsf.Encoder{Version: "1.2.3", MaxText: sink.DefaultMaxTextBytes}

// detection is an alert whose detector is not a data-security one.
func detection(id string) sink.Delivery {
	d := sinktest.Alert(id)
	d.Alert.Detector, d.Alert.Policy = "injection", "no-prompt-injection"
	return d
}

func TestGolden(t *testing.T) {
	pii := sinktest.Alert("d2")
	pii.Alert.Detector, pii.Alert.Policy, pii.Alert.Action, pii.Alert.Count = "pii", "no-pii", "block", 1
	pii.Alert.FirstSeen = pii.Alert.LastSeen
	jailbreak := sinktest.Alert("d3")
	jailbreak.Alert.Detector, jailbreak.Alert.Policy, jailbreak.Alert.Severity, jailbreak.Alert.Status = "jailbreak", "no-jailbreaks", "critical", "resolved"
	prompt := sinktest.Alert("d4")
	prompt.Kind, prompt.Alert = sink.KindEvent, nil
	hostile := sinktest.Hostile("d9", 300)
	hostile.Kind, hostile.Alert = sink.KindEvent, nil
	hostile.Event.Raw = []byte(`{"id":"x","note":"<script>"}`)
	tests := []struct {
		name string
		d    sink.Delivery
	}{
		{"alert_detection_finding", detection("d1")},
		{"alert_data_security_finding", pii},
		{"alert_closed", jailbreak},
		{"prompt_api_activity", prompt},
		{"access_login", sinktest.Access("d5", "sso_login_succeeded")},
		{"access_logout", sinktest.Access("d6", "user_logged_out")},
		{"access_role", sinktest.Access("d7", "rbac_role_assigned")},
		{"access_api_key", sinktest.Access("d8", "api_key_created")},
		{"access_other", sinktest.Access("d10", "org_members_exported")},
		{"hostile_prompt", hostile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := enc.Encode(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Count(line, []byte("\n")) != 1 || line[len(line)-1] != '\n' {
				t.Fatalf("not exactly one line: %q", line)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, line, "", "  "); err != nil {
				t.Fatalf("invalid JSON: %v", err)
			}
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("record differs from %s (run with -update if intended):\n%s", golden, pretty.Bytes())
			}
		})
	}
}

func TestClassification(t *testing.T) {
	secrets := sinktest.Alert("d")
	tests := []struct {
		name                          string
		d                             sink.Delivery
		class, category, activity, ty int
		severity                      int
	}{
		{"detection finding update", detection("d"), 2004, 2, 2, 200402, 4},
		{"data security finding", secrets, 2006, 2, 2, 200602, 4},
		{"sso login", sinktest.Access("d", "sso_login_failed"), 3002, 3, 1, 300201, 1},
		{"magic link login", sinktest.Access("d", "magic_link_login_succeeded"), 3002, 3, 1, 300201, 1},
		{"logout", sinktest.Access("d", "user_logged_out"), 3002, 3, 2, 300202, 1},
		{"role unassigned", sinktest.Access("d", "rbac_role_unassigned"), 3001, 3, 8, 300108, 1},
		{"user deleted", sinktest.Access("d", "org_user_deleted"), 3001, 3, 6, 300106, 1},
		{"admin key created", sinktest.Access("d", "admin_api_key_created"), 3001, 3, 1, 300101, 1},
		{"project viewed", sinktest.Access("d", "design_project_viewed"), 6003, 6, 2, 600302, 1},
		{"settings updated", sinktest.Access("d", "claude_user_settings_updated"), 6003, 6, 3, 600303, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := enc.Record(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if r.ClassUID != tt.class || r.CategoryUID != tt.category || r.ActivityID != tt.activity || r.TypeUID != tt.ty || r.SeverityID != tt.severity {
				t.Errorf("got class %d category %d activity %d type %d severity %d", r.ClassUID, r.CategoryUID, r.ActivityID, r.TypeUID, r.SeverityID)
			}
			if r.TypeUID != r.ClassUID*100+r.ActivityID || r.Metadata.Version != ocsf.SchemaVersion || r.Metadata.Product.Name != "claudit" || r.Time == 0 {
				t.Errorf("base attributes %+v", r)
			}
			if tt.class == 3002 || tt.class == 3001 {
				if r.User == nil || r.Actor == nil || r.Actor.User.UID != "user_01" || r.SrcEndpoint.IP != "203.0.113.7" {
					t.Errorf("user/actor/src_endpoint missing: %+v", r)
				}
			}
		})
	}
}

func readLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line does not parse: %v\n%q", err, sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

func TestFileOutputAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ocsf.jsonl")
	s, err := sink.New(sink.Config{Type: ocsf.Type, OCSF: &sink.OCSFConfig{Output: "file", Path: path}})
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range [][]sink.Delivery{
		{sinktest.Alert("d1"), sinktest.Access("d2", "sso_login_succeeded")},
		{sinktest.Hostile("d3", 1<<20)},
	} {
		if err := s.Send(context.Background(), batch); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, b)
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3", len(lines))
	}
	msg, _ := lines[2]["message"].(string)
	if msg != strings.ToValidUTF8(sinktest.HostileText, "\uFFFD") {
		t.Errorf("hostile message = %q", msg)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", info.Mode().Perm())
	}
}

func TestFileOutputUnwritable(t *testing.T) {
	s, err := sink.New(sink.Config{Type: ocsf.Type, OCSF: &sink.OCSFConfig{Output: "file", Path: filepath.Join(t.TempDir(), "missing", "ocsf.jsonl")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")}); err == nil || sink.IsPermanent(err) {
		t.Fatalf("err = %v, want retryable", err)
	}
}

func TestHTTPOutput(t *testing.T) {
	rcv := sinktest.NewHTTPReceiver(t)
	rcv.FailNext(1, http.StatusInternalServerError)
	s, err := sink.New(sink.Config{Type: ocsf.Type, OCSF: &sink.OCSFConfig{Output: "http", URL: rcv.URL + "/ingest", Headers: map[string]string{"Authorization": "Bearer t"}}})
	if err != nil {
		t.Fatal(err)
	}
	batch := []sink.Delivery{sinktest.Alert("d1"), sinktest.Hostile("d2", 1<<20)}
	if err := s.Send(context.Background(), batch); err == nil || sink.IsPermanent(err) {
		t.Fatalf("first send: err = %v, want retryable", err)
	}
	if err := s.Send(context.Background(), batch); err != nil {
		t.Fatalf("second send: %v", err)
	}
	reqs := rcv.Requests()
	r := reqs[len(reqs)-1]
	if r.Header.Get("Content-Type") != "application/x-ndjson" || r.Header.Get("Authorization") != "Bearer t" {
		t.Errorf("headers %v", r.Header)
	}
	lines := readLines(t, r.Body)
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	un, _ := lines[1]["unmapped"].(map[string]any)
	if un == nil || un["excerpt_truncated_from_bytes"] != nil {
		t.Errorf("unmapped %v", un)
	}
}

func TestHostileEventTruncated(t *testing.T) {
	var buf bytes.Buffer
	s := ocsf.NewWriter(sink.Config{Name: "stdout", MaxTextBytes: 1000}, &buf)
	d := sinktest.Hostile("d1", 1<<20)
	d.Kind, d.Alert = sink.KindEvent, nil
	if err := s.Send(context.Background(), []sink.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, buf.Bytes())
	un := lines[0]["unmapped"].(map[string]any)
	if text := un["text"].(string); len(text) > 1000 || !strings.HasPrefix(text, "line1\nline2") {
		t.Errorf("text of %d bytes", len(text))
	}
	if un["text_truncated_from_bytes"] != float64(1<<20) {
		t.Errorf("truncation not reported: %v", un["text_truncated_from_bytes"])
	}
	if _, ok := un["raw"]; ok {
		t.Error("invalid raw JSON copied")
	}
}

func TestReceiverDown(t *testing.T) {
	s, err := sink.New(sink.Config{Type: ocsf.Type, OCSF: &sink.OCSFConfig{Output: "http", URL: "http://" + sinktest.ClosedAddr(t)}})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), []sink.Delivery{sinktest.Alert("d1")})
	var pe *sink.PartialError
	if err == nil || sink.IsPermanent(err) || errors.As(err, &pe) {
		t.Fatalf("err = %v, want a retryable whole-batch error", err)
	}
}

func TestNewRejects(t *testing.T) {
	for _, oc := range []sink.OCSFConfig{{Output: "kafka"}, {Output: "file"}, {Output: "http", URL: "nope"}} {
		if _, err := sink.New(sink.Config{Type: ocsf.Type, OCSF: &oc}); err == nil {
			t.Errorf("accepted %+v", oc)
		}
	}
}
