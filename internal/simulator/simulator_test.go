package simulator_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

var end = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func start(t testing.TB, cfg simulator.Config) (*simulator.Server, *httptest.Server, *compliance.Client) {
	t.Helper()
	if cfg.End.IsZero() {
		cfg.End = end
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = -1
	}
	s, err := simulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	c, err := compliance.New(compliance.Options{BaseURL: ts.URL, APIKey: simulator.DefaultKey, RequestsPerMinute: -1, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s, ts, c
}

// get performs a raw request and returns status, headers and body.
func get(t testing.TB, method, u, key string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
		req.Header.Set("anthropic-version", compliance.APIVersion)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func TestDeterministic(t *testing.T) {
	page := func(seed int64) (simulator.Summary, []byte, []byte) {
		s, ts, _ := start(t, simulator.Config{Seed: seed, Users: 12, Days: 3})
		_, _, feed := get(t, "GET", ts.URL+"/v1/compliance/activities?limit=5000", simulator.DefaultKey)
		_, _, msgs := get(t, "GET", ts.URL+"/v1/compliance/apps/chats/"+s.ChatIDs()[3]+"/messages", simulator.DefaultKey)
		return s.Summary(), feed, msgs
	}
	s1, f1, m1 := page(42)
	s2, f2, m2 := page(42)
	if !reflect.DeepEqual(s1, s2) {
		t.Fatalf("same seed, different summaries:\n%+v\n%+v", s1, s2)
	}
	if !bytes.Equal(f1, f2) || !bytes.Equal(m1, m2) {
		t.Fatal("same seed, different bytes")
	}
	s3, f3, _ := page(43)
	if reflect.DeepEqual(s1, s3) || bytes.Equal(f1, f3) {
		t.Fatal("different seeds made the same organization")
	}
	if s1.Activities == 0 || s1.Chats == 0 || s1.Messages < 2*s1.Chats || s1.Users != 12 || s1.First.IsZero() || !s1.Last.After(s1.First) {
		t.Fatalf("implausible summary %+v", s1)
	}
}

func TestHeadersOnEveryResponse(t *testing.T) {
	_, ts, _ := start(t, simulator.Config{Seed: 1, Users: 3, Days: 1, RateLimit: 600})
	cases := []struct {
		path, key string
		status    int
		ratelimit bool
	}{
		{"/v1/compliance/activities", simulator.DefaultKey, 200, true},
		{"/v1/compliance/activities", "", 404, false},
		{"/v1/compliance/nope", simulator.DefaultKey, 404, false},
		{"/v1/compliance/activities?bogus=1", simulator.DefaultKey, 400, true},
		{"/v1/compliance/apps/chats", simulator.DefaultAdminKey, 403, true},
	}
	for _, tc := range cases {
		status, h, body := get(t, "GET", ts.URL+tc.path, tc.key)
		if status != tc.status {
			t.Fatalf("%s: status %d, want %d: %s", tc.path, status, tc.status, body)
		}
		rid := h.Get("request-id")
		if !strings.HasPrefix(rid, "req_") {
			t.Fatalf("%s: no request-id", tc.path)
		}
		if (h.Get("anthropic-ratelimit-requests-limit") == "600") != tc.ratelimit {
			t.Fatalf("%s: rate-limit headers %v, want present=%v", tc.path, h, tc.ratelimit)
		}
		if tc.ratelimit {
			if _, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-requests-reset")); err != nil {
				t.Fatalf("reset header: %v", err)
			}
		}
		if status != 200 {
			var env struct {
				Type  string `json:"type"`
				Error struct{ Type, Message string }
				ReqID string `json:"request_id"`
			}
			if err := json.Unmarshal(body, &env); err != nil || env.Type != "error" || env.ReqID != rid || env.Error.Type == "" {
				t.Fatalf("%s: envelope %s", tc.path, body)
			}
		}
	}
}

func TestContentEndpoints(t *testing.T) {
	s, ts, c := start(t, simulator.Config{Seed: 9, Users: 20, Days: 3})
	ctx := context.Background()
	var fileID, genID, artVersion string
	for _, id := range s.ChatIDs() {
		cm, _ := s.ChatMessages(id)
		for _, m := range cm.ChatMessages {
			for _, f := range m.Files {
				if fileID == "" && strings.ContainsAny(f.Filename, " é") {
					fileID = f.ID
				}
			}
			if len(m.GeneratedFiles) > 0 && genID == "" {
				genID = m.GeneratedFiles[0].ID
			}
			if len(m.Artifacts) > 0 && artVersion == "" {
				artVersion = m.Artifacts[0].VersionID
			}
		}
	}
	if fileID == "" || genID == "" || artVersion == "" {
		t.Fatalf("seed 9 lacks a file with a non-ASCII or spaced name (%q), a generated file (%q) or an artifact (%q)", fileID, genID, artVersion)
	}
	meta, err := c.GetFile(ctx, fileID)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.ClaudeChatIDs) != 1 || len(meta.MessageIDs) != 1 {
		t.Fatalf("file metadata: %+v", meta)
	}
	check := func(path, wantName string, wantMD5 string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("x-api-key", simulator.DefaultKey)
		req.Header.Set("anthropic-version", compliance.APIVersion)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
		if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
			t.Fatalf("%s: transfer encoding %v, want chunked", path, resp.TransferEncoding)
		}
		sum := md5.Sum(body)
		if resp.Header.Get("Content-MD5") != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("%s: Content-MD5 %q does not match the body", path, resp.Header.Get("Content-MD5"))
		}
		if wantMD5 != "" && wantMD5 != string(hexOf(sum[:])) {
			t.Fatalf("%s: metadata md5 %s does not match the body", path, wantMD5)
		}
		cd := resp.Header.Get("Content-Disposition")
		name, ok := strings.CutPrefix(cd, "attachment; filename*=utf-8''")
		if !ok {
			t.Fatalf("%s: Content-Disposition %q is not RFC 5987", path, cd)
		}
		if dec, err := url.PathUnescape(name); err != nil || dec != wantName || strings.ContainsAny(name, " é") {
			t.Fatalf("%s: filename %q decodes to %q, want %q", path, name, dec, wantName)
		}
	}
	check("/v1/compliance/apps/chats/files/"+fileID+"/content", *meta.Filename, *meta.MD5)
	g, err := c.GetGeneratedFile(ctx, genID)
	if err != nil {
		t.Fatal(err)
	}
	check("/v1/compliance/apps/chats/generated-files/"+genID+"/content", g.Filename, *g.MD5)

	a, err := c.GetArtifact(ctx, artVersion)
	if err != nil {
		t.Fatal(err)
	}
	status, h, body := get(t, "GET", ts.URL+"/v1/compliance/apps/artifacts/"+artVersion+"/content", simulator.DefaultKey)
	var ac simulator.ArtifactContent
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || json.Unmarshal(body, &ac) != nil {
		t.Fatalf("artifact content: %d %s", status, body)
	}
	sum := md5.Sum([]byte(ac.Content))
	if hexOf(sum[:]) != a.MD5 || int64(len(ac.Content)) != a.SizeBytes || ac.VersionID != artVersion {
		t.Fatalf("artifact content does not match its metadata: %+v vs %+v", ac, a)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&0xf]
	}
	return string(out)
}

func TestSoftAndHardDelete(t *testing.T) {
	s, ts, c := start(t, simulator.Config{Seed: 9, Users: 20, Days: 3})
	ctx := context.Background()
	var withFile string
	var fileID string
	for _, id := range s.ChatIDs() {
		cm, _ := s.ChatMessages(id)
		if cm.Deleted() {
			continue
		}
		for _, m := range cm.ChatMessages {
			if len(m.Files) > 0 && withFile == "" {
				withFile, fileID = id, m.Files[0].ID
			}
		}
	}
	// Walk by updated_at to the end, then soft-delete: the chat re-surfaces after the cursor.
	var last string
	for p, err := range c.ChatPages(ctx, compliance.ChatQuery{OrderBy: "updated_at", Limit: 1000}) {
		if err != nil {
			t.Fatal(err)
		}
		if p.LastID != nil {
			last = *p.LastID
		}
	}
	before := s.Summary()
	if err := s.SoftDeleteChat(withFile); err != nil {
		t.Fatal(err)
	}
	p, err := c.ListChats(ctx, compliance.ChatQuery{OrderBy: "updated_at", AfterID: last})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Data) != 1 || p.Data[0].ID != withFile || !p.Data[0].Deleted() || p.Data[0].Name != "" {
		t.Fatalf("soft-deleted chat should re-surface with deleted_at and no name: %+v", p.Data)
	}
	cm, err := c.GetChatMessages(ctx, withFile, compliance.MessagesQuery{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cm.ChatMessages {
		if len(m.Content) != 0 || m.Files != nil {
			t.Fatalf("soft-deleted chat message %s still has content", m.ID)
		}
	}
	if _, err := c.GetFile(ctx, fileID); !compliance.IsNotFound(err) {
		t.Fatalf("file of a soft-deleted chat: %v, want 404", err)
	}
	after := s.Summary()
	if after.Chats != before.Chats || after.DeletedChats != before.DeletedChats+1 || after.Messages != before.Messages ||
		after.ActivitiesByType["claude_chat_deleted"] != before.ActivitiesByType["claude_chat_deleted"]+1 {
		t.Fatalf("summary after soft delete: %+v -> %+v", before, after)
	}

	// A new message re-surfaces a chat too.
	other := s.ChatIDs()[0]
	if other == withFile {
		other = s.ChatIDs()[1]
	}
	if _, err := s.AddChatMessage(other, "user", "one more question", time.Time{}); err != nil {
		t.Fatal(err)
	}
	p, err = c.ListChats(ctx, compliance.ChatQuery{OrderBy: "updated_at", AfterID: *p.LastID})
	if err != nil || len(p.Data) != 1 || p.Data[0].ID != other {
		t.Fatalf("chat with a new message should re-surface: %+v %v", p, err)
	}

	// Hard delete through the API: gone from lists, 404 on reads, 404 on repeat.
	d, err := c.DeleteChat(ctx, other)
	if err != nil || d.Type != "claude_chat_deleted" {
		t.Fatalf("delete: %+v %v", d, err)
	}
	if _, err := c.GetChatMessages(ctx, other, compliance.MessagesQuery{}); !compliance.IsNotFound(err) {
		t.Fatalf("hard-deleted chat: %v", err)
	}
	if _, err := c.DeleteChat(ctx, other); !compliance.IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	if s.Summary().Chats != before.Chats-1 {
		t.Fatal("hard delete did not remove the chat from the ground truth")
	}

	// Project delete: 409 while chats are attached, then success once they are gone.
	for _, pid := range s.ProjectIDs() {
		pr, err := c.GetProject(ctx, pid)
		if err != nil {
			t.Fatal(err)
		}
		if *pr.ChatsCount == 0 {
			status, _, body := get(t, "DELETE", ts.URL+"/v1/compliance/apps/projects/"+pid, simulator.DefaultKey)
			if status != 200 || !strings.Contains(string(body), `"type":"claude_project_deleted"`) {
				t.Fatalf("delete empty project: %d %s", status, body)
			}
			if _, err := c.GetProject(ctx, pid); !compliance.IsNotFound(err) {
				t.Fatalf("deleted project: %v", err)
			}
			continue
		}
		status, _, _ := get(t, "DELETE", ts.URL+"/v1/compliance/apps/projects/"+pid, simulator.DefaultKey)
		if status != 409 {
			t.Fatalf("project with chats: %d, want 409", status)
		}
		var attached []string
		for pg, err := range c.ChatPages(ctx, compliance.ChatQuery{UserIDs: s.UserIDs()[:10], ProjectIDs: []string{pid}}) {
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range pg.Data {
				attached = append(attached, ch.ID)
			}
		}
		if len(attached) == *pr.ChatsCount {
			for _, id := range attached {
				if _, err := c.DeleteChat(ctx, id); err != nil {
					t.Fatal(err)
				}
			}
			if status, _, body := get(t, "DELETE", ts.URL+"/v1/compliance/apps/projects/"+pid, simulator.DefaultKey); status != 200 {
				t.Fatalf("project after its chats were deleted: %d %s", status, body)
			}
		}
	}
}

func TestMessagePaging(t *testing.T) {
	s, _, c := start(t, simulator.Config{Seed: 4, Users: 10, Days: 2})
	ctx := context.Background()
	var long string
	for _, id := range s.ChatIDs() {
		if cm, _ := s.ChatMessages(id); len(cm.ChatMessages) >= 8 {
			long = id
			break
		}
	}
	all, err := c.GetChatMessages(ctx, long, compliance.MessagesQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if all.HasMore || len(all.ChatMessages) < 8 {
		t.Fatalf("without limit the whole chat comes at once: %d messages, has_more %v", len(all.ChatMessages), all.HasMore)
	}
	paged, err := c.AllChatMessages(ctx, long, 3)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(all.ChatMessages)
	b, _ := json.Marshal(paged.ChatMessages)
	if !bytes.Equal(a, b) {
		t.Fatal("paged messages differ from the single response")
	}
	desc, err := c.GetChatMessages(ctx, long, compliance.MessagesQuery{Order: "desc", Limit: 2})
	if err != nil || desc.ChatMessages[0].ID != all.ChatMessages[len(all.ChatMessages)-1].ID || !desc.HasMore {
		t.Fatalf("desc page: %+v %v", desc, err)
	}
	back, err := c.GetChatMessages(ctx, long, compliance.MessagesQuery{Order: "desc", Limit: 5, BeforeID: *desc.LastID})
	if err != nil || len(back.ChatMessages) != 1 || back.ChatMessages[0].ID != desc.ChatMessages[0].ID {
		t.Fatalf("before_id page: %+v %v", back, err)
	}
	if _, err := c.GetChatMessages(ctx, long, compliance.MessagesQuery{AfterID: *desc.LastID}); !compliance.IsStatus(err, 400) {
		t.Fatalf("a desc cursor used with asc: %v, want 400", err)
	}
	cut, err := c.GetChatMessages(ctx, long, compliance.MessagesQuery{ToolResultMaxChars: 1, ToolUseInputMaxChars: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range cut.ChatMessages {
		for _, bl := range m.Content {
			if bl.Type == compliance.BlockToolUse && (len(bl.Input) > 1 || !bl.Truncated) {
				t.Fatalf("tool_use input not cut: %+v", bl)
			}
		}
	}
}

func TestUserModeChats(t *testing.T) {
	s, _, c := start(t, simulator.Config{Seed: 4, Users: 10, Days: 3})
	ctx := context.Background()
	users := s.UserIDs()[:2]
	var all []string
	for p, err := range c.ChatPages(ctx, compliance.ChatQuery{UserIDs: users, Limit: 5}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range p.Data {
			if ch.User.ID != users[0] && ch.User.ID != users[1] {
				t.Fatalf("chat %s of another user", ch.ID)
			}
			all = append(all, ch.ID)
		}
	}
	if len(all) < 6 {
		t.Fatalf("only %d chats for two users", len(all))
	}
	p, err := c.ListChats(ctx, compliance.ChatQuery{UserIDs: users, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := c.ListChats(ctx, compliance.ChatQuery{UserIDs: users, Limit: 5, AfterID: *p.LastID})
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.ListChats(ctx, compliance.ChatQuery{UserIDs: users, Limit: 3, BeforeID: *p2.FirstID})
	if err != nil || len(back.Data) != 3 || back.Data[2].ID != p.Data[4].ID || !back.HasMore {
		t.Fatalf("user-mode before_id: %+v %v", back, err)
	}
}

func TestPageTokenEndpoints(t *testing.T) {
	s, ts, c := start(t, simulator.Config{Seed: 6, Users: 60, Days: 2})
	ctx := context.Background()
	count := func(seq func(func(any, error) bool)) int {
		n := 0
		for _, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	anySeq := func(it func(yield func(compliance.Project, error) bool)) func(func(any, error) bool) {
		return func(y func(any, error) bool) { it(func(p compliance.Project, err error) bool { return y(p, err) }) }
	}
	if n := count(anySeq(c.Projects(ctx, compliance.PageQuery{Limit: 3}))); n != s.Summary().Projects {
		t.Fatalf("projects walk: %d, want %d", n, s.Summary().Projects)
	}
	users := 0
	for _, o := range s.OrganizationUUIDs() {
		for _, err := range c.OrganizationUsers(ctx, o, compliance.PageQuery{Limit: 7}) {
			if err != nil {
				t.Fatal(err)
			}
			users++
		}
		for r, err := range c.Roles(ctx, o, compliance.PageQuery{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if r.CreatedAt == nil || r.CreatedAt.IsZero() {
				t.Fatal("role created_at (offset-less) did not parse")
			}
			perms := 0
			for _, err := range c.RolePermissions(ctx, o, r.ID, compliance.PageQuery{}) {
				if err != nil {
					t.Fatal(err)
				}
				perms++
			}
			if perms == 0 {
				t.Fatalf("role %s has no permissions", r.ID)
			}
		}
		st, err := c.OrganizationSettings(ctx, o)
		if err != nil || st.OrganizationID != o || len(st.Settings) == 0 || len(st.APIKeys) == 0 {
			t.Fatalf("settings: %+v %v", st, err)
		}
	}
	if users != len(s.UserIDs()) {
		t.Fatalf("users across orgs: %d, want %d", users, len(s.UserIDs()))
	}
	groups := 0
	for g, err := range c.Groups(ctx, compliance.PageQuery{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		groups++
		for _, err := range c.GroupMembers(ctx, g.ID, compliance.PageQuery{Limit: 3}) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if groups == 0 {
		t.Fatal("no groups")
	}
	for _, pid := range s.ProjectIDs()[:3] {
		for a, err := range c.ProjectAttachments(ctx, pid, compliance.PageQuery{Limit: 1}) {
			if err != nil {
				t.Fatal(err)
			}
			if a.Type == "project_file" {
				if _, err := c.GetFile(ctx, a.ID); err != nil {
					t.Fatal(err)
				}
			} else if status, _, body := get(t, "GET", ts.URL+"/v1/compliance/apps/projects/documents/"+a.ID+"/metadata", simulator.DefaultKey); status != 200 {
				t.Fatalf("document metadata: %d %s", status, body)
			}
		}
		if status, _, body := get(t, "GET", ts.URL+"/v1/compliance/apps/projects/"+pid+"/collaborators?limit=1", simulator.DefaultKey); status != 200 || !strings.Contains(string(body), `"granted_at"`) {
			t.Fatalf("collaborators: %d %s", status, body)
		}
	}
	local := 0
	for ls, err := range c.LocalSessions(ctx, compliance.PageQuery{Limit: 4}) {
		if err != nil {
			t.Fatal(err)
		}
		if local == 0 {
			n := 0
			for _, err := range c.LocalSessionMessages(ctx, ls.ID, compliance.PageQuery{Limit: 2}) {
				if err != nil {
					t.Fatal(err)
				}
				n++
			}
			if n < 3 {
				t.Fatalf("local session %s has %d messages", ls.ID, n)
			}
		}
		local++
	}
	if local != s.Summary().LocalSessions {
		t.Fatalf("local sessions: %d, want %d", local, s.Summary().LocalSessions)
	}
	remote := 0
	for rs, err := range c.RemoteSessions(ctx, compliance.PageQuery{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		remote++
		for _, err := range c.RemoteSessionMessages(ctx, rs.ID, compliance.PageQuery{}) {
			if rs.Status == "pending" {
				if !compliance.IsNotFound(err) {
					t.Fatalf("pending remote session: %v, want 404", err)
				}
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if remote != s.Summary().RemoteSessions {
		t.Fatalf("remote sessions: %d, want %d", remote, s.Summary().RemoteSessions)
	}
	// A foreign page token is rejected.
	status, _, body := get(t, "GET", ts.URL+"/v1/compliance/apps/sessions/local?page=page_bogus", simulator.DefaultKey)
	if status != 400 || !strings.Contains(string(body), "The page parameter is not a valid cursor for this request.") {
		t.Fatalf("bad session token: %d %s", status, body)
	}
	// Code artifacts end with an empty page after has_more=true.
	u := ts.URL + "/v1/compliance/apps/code/artifacts?limit=100"
	var sawEmpty bool
	for u != "" {
		status, _, body := get(t, "GET", u, simulator.DefaultKey)
		var pg struct {
			Data     []json.RawMessage `json:"data"`
			HasMore  bool              `json:"has_more"`
			NextPage *string           `json:"next_page"`
		}
		if status != 200 || json.Unmarshal(body, &pg) != nil {
			t.Fatalf("code artifacts: %d %s", status, body)
		}
		sawEmpty = sawEmpty || len(pg.Data) == 0
		u = ""
		if pg.NextPage != nil {
			u = ts.URL + "/v1/compliance/apps/code/artifacts?limit=100&page=" + url.QueryEscape(*pg.NextPage)
		}
	}
	if !sawEmpty {
		t.Fatal("code artifact walk should end on an empty page")
	}
}

func TestIngestDelayAndRecordAccess(t *testing.T) {
	s, _, c := start(t, simulator.Config{Seed: 1, Users: 3, Days: 1, IngestDelay: time.Hour, RecordAccess: true})
	ctx := context.Background()
	n0 := s.Summary().Activities
	a, err := s.AddActivity(compliance.Activity{Type: "user_logged_out", Actor: compliance.Actor{Type: compliance.ActorUser, UserID: s.UserIDs()[0]}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.ListActivities(ctx, compliance.ActivityQuery{Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range p.Data {
		if x.ID == a.ID || x.Type == "compliance_api_accessed" && x.CreatedAt.After(end) {
			t.Fatalf("%s is visible before the ingest delay passed", x.ID)
		}
	}
	sum := s.Summary()
	if sum.Activities != n0+2 || sum.ActivitiesByType["compliance_api_accessed"] == 0 {
		t.Fatalf("want the added activity and one access record, summary went %d -> %d", n0, sum.Activities)
	}
	var rec compliance.Activity
	for _, x := range s.Activities() {
		if x.Type == "compliance_api_accessed" && x.CreatedAt.After(end) {
			rec = x
			break
		}
	}
	if rec.Actor.Type != compliance.ActorAPI || rec.OrganizationID != nil || !strings.Contains(rec.String("url"), "/v1/compliance/activities?limit=5000") {
		t.Fatalf("access record: %s", rec.Raw)
	}
}

func TestLiveGrows(t *testing.T) {
	s, _, _ := start(t, simulator.Config{Seed: 1, Users: 5, Days: 1})
	before := s.Summary()
	for range 5 {
		s.LiveTick()
	}
	after := s.Summary()
	if after.Activities <= before.Activities || after.Messages < before.Messages {
		t.Fatalf("live ticks did not add activity: %+v -> %+v", before, after)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	live, err := simulator.New(simulator.Config{Seed: 1, Users: 5, Days: 1, End: end, Live: true, LiveInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- live.ListenAndServe(ctx, "127.0.0.1:0") }()
	// Wait for the first tick however long it takes; go test's -timeout
	// catches a simulator that never ticks.
	for live.Summary().Activities == before.Activities {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestRiskyContent(t *testing.T) {
	s, _, _ := start(t, simulator.Config{Seed: 8, Users: 30, Days: 3})
	var users, risky, long int
	var hostile bool
	markers := []string{"AKIA", "ghp_", "xoxb-", "BEGIN RSA PRIVATE KEY", "postgres://", "SSN", "IBAN", "Card number", "Ignore all previous", "DAN", "paypa1.com", "xn--", "bit.ly", "```", "base64", "hex blob", "idiot", "moron", "insulting", "phone"}
	for _, id := range s.ChatIDs() {
		cm, _ := s.ChatMessages(id)
		for _, m := range cm.ChatMessages {
			if m.Role != "user" || len(m.Content) == 0 {
				continue
			}
			users++
			text := m.PlainText()
			if len(text) > 900_000 {
				long++
				continue
			}
			if strings.Contains(text, "<script>alert(1)</script>") && strings.Contains(text, "onerror=alert(1)") && strings.Contains(text, "javascript:alert(1)") {
				hostile = true
			}
			for _, mk := range markers {
				if strings.Contains(text, mk) {
					risky++
					break
				}
			}
		}
	}
	share := float64(risky) / float64(users)
	if share < 0.07 || share > 0.2 {
		t.Fatalf("risky share %.3f of %d user messages, want about 10-15%%", share, users)
	}
	if !hostile || long != len(s.OrganizationUUIDs()) {
		t.Fatalf("hostile message %v, long messages %d for %d orgs", hostile, long, len(s.OrganizationUUIDs()))
	}
}

// TestLateArrival shows why the docs ask for an overlap re-poll: a back-dated
// activity lands behind the catch-up cursor and only a created_at window finds it.
func TestLateArrival(t *testing.T) {
	s, _, c := start(t, simulator.Config{Seed: 1, Users: 5, Days: 1})
	ctx := context.Background()
	newest := s.Activities()[0].ID
	late, err := s.AddActivity(compliance.Activity{Type: "claude_chat_viewed", CreatedAt: compliance.NewTime(end.Add(-90 * time.Minute)),
		Actor: compliance.Actor{Type: compliance.ActorUser, UserID: s.UserIDs()[1]}})
	if err != nil {
		t.Fatal(err)
	}
	for p, err := range c.CatchUpPages(ctx, compliance.ActivityQuery{Limit: 100}, newest) {
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Data) != 0 {
			t.Fatalf("catch-up from the newest cursor returned %d activities; the late one is older than the cursor", len(p.Data))
		}
	}
	found := false
	for p, err := range c.ActivityPages(ctx, compliance.ActivityQuery{CreatedAt: compliance.TimeRange{GTE: end.Add(-2 * time.Hour)}}) {
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Data {
			found = found || a.ID == late.ID
		}
	}
	if !found {
		t.Fatal("the overlap re-poll did not find the late activity")
	}
}
