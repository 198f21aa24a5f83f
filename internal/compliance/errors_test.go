package compliance_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/simulator"
)

// wantAPIError checks the typed error a call returned.
func wantAPIError(t *testing.T, err error, status int, typ, msg string) *compliance.APIError {
	t.Helper()
	var ae *compliance.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want *compliance.APIError %d, got %v", status, err)
	}
	if ae.Status != status || ae.Type != typ {
		t.Fatalf("got %d %s (%q), want %d %s", ae.Status, ae.Type, ae.Message, status, typ)
	}
	if msg != "" && ae.Message != msg {
		t.Fatalf("message:\n got  %q\n want %q", ae.Message, msg)
	}
	if !strings.HasPrefix(ae.RequestID, "req_") {
		t.Fatalf("request id %q should come from the request-id header", ae.RequestID)
	}
	if ae.Retryable() != (status == 429 || status >= 500) {
		t.Fatalf("Retryable() = %v for %d", ae.Retryable(), status)
	}
	return ae
}

func TestErrors(t *testing.T) {
	s, ts := startSim(t, simulator.Config{Seed: 3, Users: 20, Days: 2})
	ctx := context.Background()
	c := newClient(t, ts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 })
	chat := s.ChatIDs()[0]
	raw := func(path string, q url.Values) func() error {
		return func() error { _, err := c.Raw(ctx, path, q); return err }
	}
	acts := func(q compliance.ActivityQuery) func() error {
		return func() error { _, err := c.ListActivities(ctx, q); return err }
	}
	chats := func(q compliance.ChatQuery) func() error {
		return func() error { _, err := c.ListChats(ctx, q); return err }
	}
	first, err := c.ListChats(ctx, compliance.ChatQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	bad400 := []struct {
		name string
		call func() error
		msg  string
	}{
		{"unknown parameter", raw("/v1/compliance/activities", url.Values{"created_at[gte]": {"2026-01-01T00:00:00Z"}}),
			"Unknown query parameter: 'created_at[gte]'. Did you mean 'created_at.gte'?"},
		{"missing brackets", raw("/v1/compliance/activities", url.Values{"activity_types": {"claude_chat_created"}}),
			"Unknown query parameter: 'activity_types'. Did you mean 'activity_types[]'?"},
		{"bad timestamp", raw("/v1/compliance/activities", url.Values{"created_at.gte": {"yesterday"}}),
			"created_at.gte: Input should be a valid datetime or date, invalid character in year"},
		{"timestamp without offset", raw("/v1/compliance/activities", url.Values{"created_at.lt": {"2026-01-01T00:00:00"}}),
			"created_at.lt: Input should have timezone info"},
		{"limit above feed max", acts(compliance.ActivityQuery{Limit: 5001}), "limit: Input should be less than or equal to 5000"},
		{"limit above chats max", chats(compliance.ChatQuery{Limit: 1001}), "limit: Input should be less than or equal to 1000"},
		{"limit above projects max", raw("/v1/compliance/apps/projects", url.Values{"limit": {"101"}}), "limit: Input should be less than or equal to 100"},
		{"limit zero", raw("/v1/compliance/activities", url.Values{"limit": {"0"}}), "limit: Input should be greater than or equal to 1"},
		{"both cursors", acts(compliance.ActivityQuery{AfterID: "activity_01a", BeforeID: "activity_01b"}), ""},
		{"both type filters", acts(compliance.ActivityQuery{Types: []string{"claude_chat_created"}, ExcludeTypes: []string{"claude_chat_viewed"}}), ""},
		{"unknown activity type", acts(compliance.ActivityQuery{Types: []string{"claude_chat_created", "not_a_type"}}),
			"activity_types[].1: Input is not one of the permitted values."},
		{"unknown activity type first", acts(compliance.ActivityQuery{Types: []string{"nope"}}), "activity_types[].0: Input is not one of the permitted values."},
		{"undecodable activity cursor", acts(compliance.ActivityQuery{AfterID: "garbage"}), "Invalid activity_id format: 'garbage'"},
		{"unknown activity cursor", acts(compliance.ActivityQuery{AfterID: "activity_01nonexistent"}),
			"Invalid `after_id`. No activity found for `after_id` \"activity_01nonexistent\""},
		{"bad order", raw("/v1/compliance/activities", url.Values{"order": {"newest"}}), "order: Input should be 'asc' or 'desc'"},
		{"chats org-wide before_id", chats(compliance.ChatQuery{BeforeID: *first.FirstID}), ""},
		{"chats project_ids without user_ids", chats(compliance.ChatQuery{ProjectIDs: []string{"claude_proj_01x"}}), ""},
		{"chats updated_at order with user_ids", chats(compliance.ChatQuery{UserIDs: s.UserIDs()[:1], OrderBy: "updated_at"}), ""},
		{"chats updated_at filter with created_at order", chats(compliance.ChatQuery{UpdatedAt: compliance.TimeRange{GTE: simEnd.AddDate(0, 0, -1)}}), ""},
		{"chats created_at filter with updated_at order", chats(compliance.ChatQuery{OrderBy: "updated_at", CreatedAt: compliance.TimeRange{GTE: simEnd.AddDate(0, 0, -1)}}), ""},
		{"chats user_ids with updated_at filter", chats(compliance.ChatQuery{UserIDs: s.UserIDs()[:1], UpdatedAt: compliance.TimeRange{GTE: simEnd.AddDate(0, 0, -1)}}), ""},
		{"chats more than ten users", chats(compliance.ChatQuery{UserIDs: s.UserIDs()[:11]}), "user_ids[]: List should have at most 10 items after validation, not 11"},
		{"chat cursor from the other order_by", chats(compliance.ChatQuery{OrderBy: "updated_at", AfterID: *first.LastID}), "Invalid pagination cursor for 'after_id'"},
		{"chat cursor garbage", chats(compliance.ChatQuery{AfterID: "!!"}), "Invalid pagination cursor for 'after_id'"},
		{"message limit", func() error {
			_, err := c.GetChatMessages(ctx, chat, compliance.MessagesQuery{Limit: 1001})
			return err
		},
			"limit: Input should be less than or equal to 1000"},
		{"local session list window", raw("/v1/compliance/apps/sessions/local", url.Values{"created_at.gte": {"2026-11-02T00:00:00Z"}, "created_at.lt": {"2026-11-01T00:00:00Z"}}),
			"created_at.lt must be strictly after created_at.gte."},
		{"session max bytes zero", raw("/v1/compliance/apps/sessions/local/clls_01x/messages", url.Values{"tool_result_max_bytes": {"0"}}), ""},
	}
	for _, tc := range bad400 {
		t.Run("400 "+tc.name, func(t *testing.T) {
			ae := wantAPIError(t, tc.call(), 400, compliance.ErrInvalidRequest, tc.msg)
			if ae.Hint() != "" {
				t.Fatalf("a plain 400 has no hint, got %q", ae.Hint())
			}
		})
	}

	notFound := []struct {
		name string
		call func() error
		msg  string
	}{
		{"chat", func() error {
			_, err := c.GetChatMessages(ctx, "claude_chat_01nope", compliance.MessagesQuery{})
			return err
		},
			"Chat conversation not found: 'claude_chat_01nope'"},
		{"project", func() error { _, err := c.GetProject(ctx, "claude_proj_01nope"); return err }, "No project is found with the provided id."},
		{"generated file", func() error { _, err := c.GetGeneratedFile(ctx, "claude_gen_file_01nope"); return err }, "Generated file not found: 'claude_gen_file_01nope'"},
		{"artifact", func() error { _, err := c.GetArtifact(ctx, "claude_artifact_version_01nope"); return err }, "Artifact version not found: 'claude_artifact_version_01nope'"},
		{"group", func() error { _, err := c.GetGroup(ctx, "rbac_group_01nope"); return err }, "Group not found."},
		{"role", func() error { _, err := c.GetRole(ctx, s.OrganizationUUIDs()[0], "rbac_role_01nope"); return err }, "Role not found."},
		{"org users", raw("/v1/compliance/organizations/00000000-0000-4000-8000-000000000000/users", nil),
			"The \"00000000-0000-4000-8000-000000000000\" organization does not exist or the requester is not authorized to access it."},
		{"settings", func() error { _, err := c.OrganizationSettings(ctx, "not-a-uuid"); return err }, "organization `not-a-uuid` not found in this organization's hierarchy"},
		{"local session", raw("/v1/compliance/apps/sessions/local/clls_01nope", nil), "Local session not found."},
	}
	for _, tc := range notFound {
		t.Run("404 "+tc.name, func(t *testing.T) {
			err := tc.call()
			wantAPIError(t, err, 404, compliance.ErrNotFound, tc.msg)
			if !compliance.IsNotFound(err) {
				t.Fatal("IsNotFound should be true for a missing object")
			}
		})
	}
	t.Run("404 file names the internal uuid", func(t *testing.T) {
		_, err := c.GetFile(ctx, "claude_file_01nope")
		ae := wantAPIError(t, err, 404, compliance.ErrNotFound, "")
		if !strings.HasPrefix(ae.Message, "File not found: ") || strings.Contains(ae.Message, "claude_file_") {
			t.Fatalf("message %q should name a UUID, not the claude_file_ id", ae.Message)
		}
	})

	keyCases := []struct {
		name, key string
		legacy    bool
		status    int
		typ, msg  string
	}{
		{"no key", "", false, 404, compliance.ErrNotFound, "Not found"},
		{"claude api key", "sk-ant-api03-abc", false, 404, compliance.ErrNotFound, "Not found"},
		{"wrong compliance key", "sk-ant-api01-wrong", false, 401, compliance.ErrAuthentication, "API key is invalid."},
		{"wrong admin key", "sk-ant-admin01-wrong", false, 401, compliance.ErrAuthentication, "API key is invalid."},
		{"legacy no key", "", true, 401, compliance.ErrAuthentication, "The API key provided is invalid or has been revoked."},
		{"legacy claude api key", "sk-ant-api03-abc", true, 401, compliance.ErrAuthentication, "The API key provided is invalid or has been revoked."},
	}
	for _, tc := range keyCases {
		t.Run("key "+tc.name, func(t *testing.T) {
			base := ts.URL
			if tc.legacy {
				_, lts := startSim(t, simulator.Config{Seed: 3, Users: 3, Days: 1, LegacyAuth: true})
				base = lts.URL
			}
			kc := newClient(t, base, tc.key, func(o *compliance.Options) { o.MaxRetries = -1 })
			_, err := kc.ListActivities(ctx, compliance.ActivityQuery{Limit: 1})
			ae := wantAPIError(t, err, tc.status, tc.typ, tc.msg)
			if ae.Hint() == "" {
				t.Fatal("key errors should carry a hint")
			}
			if compliance.IsNotFound(err) {
				t.Fatal("a key 404 is not a missing object")
			}
		})
	}
	t.Run("settings answers 401 without a key", func(t *testing.T) {
		kc := newClient(t, ts.URL, "", func(o *compliance.Options) { o.MaxRetries = -1 })
		_, err := kc.OrganizationSettings(ctx, s.OrganizationUUIDs()[0])
		wantAPIError(t, err, 401, compliance.ErrAuthentication, "")
	})

	admin := newClient(t, ts.URL, simulator.DefaultAdminKey, func(o *compliance.Options) { o.MaxRetries = -1 })
	t.Run("admin key reads the feed", func(t *testing.T) {
		if _, err := admin.ListActivities(ctx, compliance.ActivityQuery{Limit: 1}); err != nil {
			t.Fatal(err)
		}
		r, err := admin.Probe(ctx)
		if err != nil || !r.FeedOnly() {
			t.Fatalf("probe: %+v %v", r, err)
		}
	})
	t.Run("403 admin key on chats", func(t *testing.T) {
		_, err := admin.ListChats(ctx, compliance.ChatQuery{})
		ae := wantAPIError(t, err, 403, compliance.ErrPermission,
			"Missing required scopes. Got: ['read:compliance_activities'] Needed one of: ['read:compliance_user_data', 'read:org_audit']")
		if !strings.Contains(ae.Hint(), "Admin API key") || !compliance.IsPermission(err) {
			t.Fatalf("hint %q", ae.Hint())
		}
	})
	t.Run("403 admin key on org data", func(t *testing.T) {
		_, err := admin.Raw(ctx, "/v1/compliance/organizations", nil)
		wantAPIError(t, err, 403, compliance.ErrPermission,
			"Missing required scopes. Got: ['read:compliance_activities'] Needed one of: ['read:compliance_org_data', 'read:org_audit']")
	})
	t.Run("403 delete without scope", func(t *testing.T) {
		ss, sts := startSim(t, simulator.Config{Seed: 3, Users: 3, Days: 1, Scopes: []string{simulator.ScopeUserData}})
		sc := newClient(t, sts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 })
		_, err := sc.DeleteChat(ctx, ss.ChatIDs()[0])
		wantAPIError(t, err, 403, compliance.ErrPermission, "Missing required scopes. Got: ['read:compliance_user_data'] Needed: ['delete:compliance_user_data']")
	})
	t.Run("read:org_audit reads everything", func(t *testing.T) {
		_, sts := startSim(t, simulator.Config{Seed: 3, Users: 3, Days: 1, Scopes: []string{simulator.ScopeOrgAudit}})
		sc := newClient(t, sts.URL, simulator.DefaultKey)
		r, err := sc.Probe(ctx)
		if err != nil || !r.Activities || !r.UserData || !r.OrgData {
			t.Fatalf("probe with read:org_audit: %+v %v", r, err)
		}
	})
	t.Run("400 not enabled", func(t *testing.T) {
		_, sts := startSim(t, simulator.Config{Seed: 3, Users: 3, Days: 1, Disabled: true})
		sc := newClient(t, sts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 })
		_, err := sc.ListActivities(ctx, compliance.ActivityQuery{})
		ae := wantAPIError(t, err, 400, compliance.ErrInvalidRequest, "Compliance API is not enabled for this organization")
		if !strings.Contains(ae.Hint(), "not enabled") {
			t.Fatalf("hint %q", ae.Hint())
		}
	})
	t.Run("409 project with chats", func(t *testing.T) {
		var busy string
		for _, id := range s.ProjectIDs() {
			p, err := c.GetProject(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if *p.ChatsCount > 0 {
				busy = id
				break
			}
		}
		if busy == "" {
			t.Skip("no project has chats with this seed")
		}
		status, env := rawDelete(t, ts.URL+"/v1/compliance/apps/projects/"+busy)
		want := `The "` + busy + `" project cannot be deleted as it has chats attached to it. Delete or detach all chats, and try deleting the project again.`
		if status != 409 || env.Error.Type != compliance.ErrInvalidRequest || env.Error.Message != want || env.Type != "error" || env.RequestID == "" {
			t.Fatalf("got %d %+v", status, env)
		}
	})
	t.Run("429 rate limit", func(t *testing.T) {
		_, rts := startSim(t, simulator.Config{Seed: 3, Users: 3, Days: 1, RateLimit: 3})
		for range 3 {
			req, _ := http.NewRequest("GET", rts.URL+"/v1/compliance/activities?limit=1", nil)
			req.Header.Set("x-api-key", simulator.DefaultKey)
			req.Header.Set("anthropic-version", compliance.APIVersion)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("anthropic-ratelimit-requests-limit") != "3" {
				t.Fatalf("status %d, headers %v", resp.StatusCode, resp.Header)
			}
		}
		rc := newClient(t, rts.URL, simulator.DefaultKey, func(o *compliance.Options) { o.MaxRetries = -1 })
		_, err := rc.ListActivities(ctx, compliance.ActivityQuery{})
		ae := wantAPIError(t, err, 429, compliance.ErrRateLimit, "")
		if ae.RetryAfter <= 0 || !strings.Contains(ae.Message, "rate limit of 3 requests per minute") || !strings.Contains(ae.Hint(), "rate limited") {
			t.Fatalf("429: retry-after %v, message %q, hint %q", ae.RetryAfter, ae.Message, ae.Hint())
		}
	})
}

type envelope struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

func rawDelete(t *testing.T, u string) (int, envelope) {
	t.Helper()
	req, _ := http.NewRequest("DELETE", u, nil)
	req.Header.Set("x-api-key", simulator.DefaultKey)
	req.Header.Set("anthropic-version", compliance.APIVersion)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env envelope
	_ = json.NewDecoder(resp.Body).Decode(&env)
	return resp.StatusCode, env
}
