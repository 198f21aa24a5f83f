package simulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

// Default keys the simulator accepts when Config leaves them empty.
const (
	DefaultKey      = "sk-ant-api01-claudit-simulator-0000000000000000"
	DefaultAdminKey = "sk-ant-admin01-claudit-simulator-0000000000000000"
)

// Scopes of a Compliance Access Key (SPEC §2.3).
const (
	ScopeActivities = "read:compliance_activities"
	ScopeUserData   = "read:compliance_user_data"
	ScopeOrgData    = "read:compliance_org_data"
	ScopeDelete     = "delete:compliance_user_data"
	ScopeOrgAudit   = "read:org_audit"
)

// DefaultScopes are the scopes of Config.Key when Config.Scopes is nil.
var DefaultScopes = []string{ScopeActivities, ScopeUserData, ScopeOrgData, ScopeDelete}

// Config sets up a simulator. Zero values take the documented defaults.
type Config struct {
	// Seed makes the organization reproducible: same seed, same ids, texts and counts.
	Seed int64
	// Users is the number of users (default 50).
	Users int
	// Days is the length of generated history (default 7).
	Days int
	// End is the end of generated history; zero means time.Now() truncated to the minute.
	End time.Time
	// Key is the accepted Compliance Access Key (default DefaultKey).
	Key string
	// AdminKey is the accepted Admin API key, which reaches only the feed (default DefaultAdminKey).
	AdminKey string
	// Scopes are the scopes of Key (default DefaultScopes).
	Scopes []string
	// Faults is the share of requests (0..1) that fail with an injected fault:
	// 429 with retry-after, 500, 502, 503, 504, 529, a slow response or a
	// malformed 200 body.
	Faults float64
	// FaultRetryAfter is the retry-after of injected 429s (default 1s).
	FaultRetryAfter time.Duration
	// FaultDelay is the delay of an injected slow response (default 2s).
	FaultDelay time.Duration
	// Live keeps generating activity every LiveInterval (default 2s) while ListenAndServe runs.
	Live         bool
	LiveInterval time.Duration
	// IngestDelay hides new activities from the feed until they are this old.
	IngestDelay time.Duration
	// RecordAccess appends a compliance_api_accessed activity per request, as
	// the real service does. Off by default so that ground-truth counts stay
	// exact while a client is syncing (every request would add an activity).
	RecordAccess bool
	// LegacyAuth answers 401 instead of the newest 404 for missing or wrong-type keys.
	LegacyAuth bool
	// RateLimit is the shared budget in requests per minute: 0 means the
	// documented 600, negative means unlimited.
	RateLimit int
	// Disabled makes every endpoint answer "Compliance API is not enabled".
	Disabled bool
	// Clock, when set, is the time page tokens are issued and checked at
	// (tests move it past the 24 h expiry of transcript tokens).
	Clock func() time.Time
	// Undecodable adds this many activities that are valid JSON but cannot
	// be decoded (an actor that is not an object), spread over the history,
	// so a client's quarantine can be seen working.
	Undecodable int
	Logger      *slog.Logger
}

// Summary is the ground truth the simulator currently holds.
type Summary struct {
	Activities       int            `json:"activities"`
	ActivitiesByType map[string]int `json:"activities_by_type"`
	Chats            int            `json:"chats"`
	DeletedChats     int            `json:"deleted_chats"`
	Messages         int            `json:"messages"`
	Users            int            `json:"users"`
	Files            int            `json:"files"`
	Projects         int            `json:"projects"`
	Organizations    int            `json:"organizations"`
	LocalSessions    int            `json:"local_sessions"`
	RemoteSessions   int            `json:"remote_sessions"`
	// SessionMessages counts the messages of every session's transcript
	// (pending remote sessions have none to serve).
	SessionMessages int `json:"session_messages"`
	// FileTexts counts the uploaded and generated files and artifacts of
	// chat messages, the files and documents of projects and the versions of
	// code artifacts whose text a client can extract; UnreadableFiles the
	// ones it cannot (images, the stub PDFs, files gone with their chat).
	FileTexts       int `json:"file_texts"`
	UnreadableFiles int `json:"unreadable_files"`
	// ProjectDocuments counts the text documents of projects, CodeArtifacts
	// the Claude Code artifacts and Claude Docs documents, and
	// CodeArtifactVersions the versions of the former.
	ProjectDocuments     int `json:"project_documents"`
	CodeArtifacts        int `json:"code_artifacts"`
	CodeArtifactVersions int `json:"code_artifact_versions"`
	// Undecodable counts the activities (included in Activities) that a
	// client cannot decode and should quarantine.
	Undecodable int       `json:"undecodable,omitempty"`
	First       time.Time `json:"first"`
	Last        time.Time `json:"last"`
}

// Server is a running fake Compliance API. All methods are safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger

	mu sync.RWMutex
	st *state
	// rng makes ids and content for everything added after New; guarded by mu.
	rng *rand.Rand

	faultMu  sync.Mutex
	faultRNG *rand.Rand
	bucket   *bucket
	reqSeq   atomic.Uint64
	routes   []route
}

// New generates the organization and returns a server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.Users < 0 || cfg.Days < 0 {
		return nil, fmt.Errorf("simulator: users and days must not be negative")
	}
	if cfg.Faults < 0 || cfg.Faults > 1 {
		return nil, fmt.Errorf("simulator: faults is a share between 0 and 1, got %v", cfg.Faults)
	}
	if cfg.Users == 0 {
		cfg.Users = 50
	}
	if cfg.Days == 0 {
		cfg.Days = 7
	}
	if cfg.End.IsZero() {
		cfg.End = time.Now().UTC().Truncate(time.Minute)
	}
	cfg.End = cfg.End.UTC()
	if cfg.Key == "" {
		cfg.Key = DefaultKey
	}
	if cfg.AdminKey == "" {
		cfg.AdminKey = DefaultAdminKey
	}
	if cfg.Scopes == nil {
		cfg.Scopes = append([]string(nil), DefaultScopes...)
	}
	if cfg.FaultRetryAfter <= 0 {
		cfg.FaultRetryAfter = time.Second
	}
	if cfg.FaultDelay <= 0 {
		cfg.FaultDelay = 2 * time.Second
	}
	if cfg.LiveInterval <= 0 {
		cfg.LiveInterval = 2 * time.Second
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = 600
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	corp, err := loadCorpus()
	if err != nil {
		return nil, err
	}
	st := generate(cfg, corp)
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		st:       st,
		rng:      rand.New(rand.NewPCG(uint64(cfg.Seed), 0x11fe)),
		faultRNG: rand.New(rand.NewPCG(uint64(cfg.Seed), 0xfa17)),
		bucket:   newBucket(cfg.RateLimit),
	}
	s.routes = s.buildRoutes()
	for i := 0; i < cfg.Undecodable; i++ {
		span := cfg.End.Sub(st.start)
		at := st.start.Add(time.Duration(s.rng.Int64N(int64(max(span, time.Second)))))
		s.addUndecodable(at)
	}
	return s, nil
}

// AddUndecodableActivity adds an activity at time at that is valid JSON but
// cannot be decoded (its actor is a string), and returns its id.
func (s *Server) AddUndecodableActivity(at time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUndecodable(at)
}

func (s *Server) addUndecodable(at time.Time) string {
	at = at.UTC().Truncate(time.Millisecond)
	id := newID(s.rng, "activity_")
	js := fmt.Sprintf(`{"id":%q,"created_at":%q,"organization_id":null,"organization_uuid":null,"actor":"deleted-user","type":"claude_chat_viewed"}`,
		id, at.Format(time.RFC3339Nano))
	s.st.insert(&record{at: at, id: id, typ: "claude_chat_viewed", js: []byte(js)})
	// ActivitiesByType counts what a client can decode and store.
	s.st.typeCounts["claude_chat_viewed"]--
	s.st.undecodable++
	return id
}

// AddUndecodableCodeArtifact adds a code artifact that is valid JSON but
// cannot be decoded (its versions are a string), and returns its id.
func (s *Server) AddUndecodableCodeArtifact() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.st.users[0]
	ca := &codeArtifact{id: newID(s.rng, "cart_"), org: u.org, owner: u, readMode: "org", updatedAt: s.st.end, undecodable: true}
	s.st.codeArtifacts = append(s.st.codeArtifacts, ca)
	sort.Slice(s.st.codeArtifacts, func(i, j int) bool { return s.st.codeArtifacts[i].id < s.st.codeArtifacts[j].id })
	return ca.id
}

// Config returns the effective configuration (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// Handler returns the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// ListenAndServe serves on addr until ctx is cancelled, then shuts down
// gracefully. In Live mode it also runs the activity generator.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("simulator: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is ListenAndServe on an existing listener.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	if s.cfg.Live {
		go s.RunLive(ctx)
	}
	s.log.Info("compliance simulator listening", "addr", ln.Addr().String(), "live", s.cfg.Live)
	select {
	case err := <-errc:
		return fmt.Errorf("simulator: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("simulator: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("simulator: serve: %w", err)
	}
	return nil
}

// Summary returns the ground truth now. Activities counts every activity,
// including ones still hidden by IngestDelay; Chats counts every listed chat
// (soft-deleted ones too) and Messages every message of those chats, including
// the content-less messages of soft-deleted chats.
func (s *Server) Summary() Summary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := s.st
	sum := Summary{
		Activities:       len(st.feed),
		ActivitiesByType: make(map[string]int, len(st.typeCounts)),
		Users:            len(st.users),
		Files:            len(st.files),
		Projects:         len(st.projectList),
		Organizations:    len(st.orgs),
		LocalSessions:    len(st.localSessions),
		RemoteSessions:   len(st.remoteSessions),
		Undecodable:      st.undecodable,
	}
	for k, v := range st.typeCounts {
		sum.ActivitiesByType[k] = v
	}
	for _, ls := range st.localSessions {
		sum.SessionMessages += len(ls.msgs)
	}
	for _, rs := range st.remoteSessions {
		if rs.status != "pending" {
			sum.SessionMessages += len(rs.msgs)
		}
	}
	sum.FileTexts, sum.UnreadableFiles = st.fileTextTruth()
	sum.ProjectDocuments, sum.CodeArtifacts = len(st.docs), len(st.codeArtifacts)
	for _, ca := range st.codeArtifacts {
		sum.CodeArtifactVersions += len(ca.versions)
	}
	for _, c := range st.chatList {
		sum.Chats++
		if c.deletedAt != nil {
			sum.DeletedChats++
		}
		sum.Messages += len(c.msgs)
	}
	if n := len(st.feed); n > 0 {
		sum.First, sum.Last = st.feed[0].at, st.feed[n-1].at
	}
	return sum
}

// fileTextTruth counts the files messages serve that a client can read
// and those it cannot, each file once.
func (st *state) fileTextTruth() (readable, unreadable int) {
	seen := map[string]bool{}
	count := func(id, mime string, exists bool) {
		if seen[id] {
			return
		}
		seen[id] = true
		if exists && mime != "image/png" && mime != "application/pdf" {
			readable++
		} else {
			unreadable++
		}
	}
	for _, c := range st.chatList {
		if c.deletedAt != nil {
			continue // served without content or files
		}
		for _, m := range c.msgs {
			for _, f := range m.files {
				_, ok := st.files[f.id]
				count(f.id, f.mime, ok)
			}
			for _, g := range m.gen {
				_, ok := st.genFiles[g.id]
				count(g.id, g.mime, ok)
			}
			for _, a := range m.arts {
				_, ok := st.artifacts[a.versionID]
				count(a.versionID, "text/plain", ok && strings.TrimSpace(a.content) != "")
			}
		}
	}
	// Project files and documents, and code artifact versions (§4.9–4.12).
	for _, p := range st.projectList {
		for _, f := range p.files {
			_, ok := st.files[f.id]
			count(f.id, f.mime, ok)
		}
		for _, d := range p.docs {
			count(d.id, "text/plain", strings.TrimSpace(d.content) != "")
		}
	}
	for _, ca := range st.codeArtifacts {
		for _, v := range ca.versions {
			count(ca.id+"@"+v.id, "text/html", strings.TrimSpace(v.content) != "" && !v.oversized)
		}
		if ca.tabs != nil {
			// A Claude Docs document: one ZIP per edit, named by updated_at.
			count(ca.id+"@docs-"+strconv.FormatInt(ca.updatedAt.Unix(), 10), "application/zip", true)
		}
	}
	return readable, unreadable
}

// ChatIDs returns the ids of every listed chat (soft-deleted ones included),
// oldest first.
func (s *Server) ChatIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.st.chatList))
	for i, c := range s.st.chatList {
		out[i] = c.id
	}
	return out
}

// UserIDs returns the ids of every user, in generation order.
func (s *Server) UserIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.st.users))
	for i, u := range s.st.users {
		out[i] = u.id
	}
	return out
}

// OrganizationUUIDs returns the organization UUIDs; the first is the parent.
func (s *Server) OrganizationUUIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.st.orgs))
	for i, o := range s.st.orgs {
		out[i] = o.uuid
	}
	return out
}

// ProjectIDs returns the ids of every project, oldest first.
func (s *Server) ProjectIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, len(s.st.projectList))
	for i, p := range s.st.projectList {
		out[i] = p.id
	}
	return out
}

// Activities returns every activity in default feed order (newest first, ties
// by id), including ones still hidden by IngestDelay. Each has Raw set to the
// exact bytes the feed serves.
func (s *Server) Activities() []compliance.Activity {
	s.mu.RLock()
	recs := append([]*record(nil), s.st.feed...)
	s.mu.RUnlock()
	out := make([]compliance.Activity, len(recs))
	for i := range recs {
		r := recs[len(recs)-1-i]
		if err := out[i].UnmarshalJSON(r.js); err != nil {
			panic(fmt.Sprintf("simulator: stored activity %s does not decode: %v", r.id, err))
		}
	}
	return out
}

// ChatMessages returns what the messages endpoint serves for a chat without
// paging, or false when the chat does not exist (or was hard-deleted).
func (s *Server) ChatMessages(chatID string) (*compliance.ChatMessages, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.st.chats[chatID]
	if !ok {
		return nil, false
	}
	out := &compliance.ChatMessages{Chat: s.chatModel(c), ChatMessages: make([]compliance.Message, len(c.msgs))}
	for i, m := range c.msgs {
		out.ChatMessages[i] = s.messageModel(c, m, -1, -1)
	}
	return out, true
}

// AddActivity stores an activity as if it had just been ingested. Empty ID
// and zero CreatedAt are filled in (a new id, now); a back-dated CreatedAt
// simulates a late arrival. Raw, when set and the id is given, is served
// verbatim, so unknown types and fields can be tested. The activity becomes
// visible after IngestDelay.
func (s *Server) AddActivity(a compliance.Activity) (compliance.Activity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.ID == "" {
		a.ID = newID(s.rng, "activity_")
		a.Raw = nil
	}
	if _, dup := s.st.feedByID[a.ID]; dup {
		return a, fmt.Errorf("simulator: activity %s already exists", a.ID)
	}
	if a.CreatedAt.IsZero() {
		a.CreatedAt = compliance.NewTime(time.Now())
		a.Raw = nil
	}
	js, err := a.MarshalJSON()
	if err != nil {
		return a, fmt.Errorf("simulator: encode activity %s: %w", a.ID, err)
	}
	var back compliance.Activity
	if err := back.UnmarshalJSON(js); err != nil {
		return a, fmt.Errorf("simulator: activity %s does not decode: %w", a.ID, err)
	}
	rec := &record{at: back.CreatedAt.Time, id: back.ID, typ: back.Type, userID: back.Actor.UserID, js: js,
		visible: time.Now().Add(s.cfg.IngestDelay)}
	if back.OrganizationID != nil {
		rec.orgTag = *back.OrganizationID
	}
	if back.OrganizationUUID != nil {
		rec.orgUUID = *back.OrganizationUUID
	}
	s.st.insert(rec)
	return back, nil
}

// AddChatMessage appends a message to a chat at time at (zero = now), bumps
// the chat's updated_at so an updated_at walk re-surfaces it, and records a
// claude_chat_updated activity for user messages.
func (s *Server) AddChatMessage(chatID, role, text string, at time.Time) (compliance.Message, error) {
	if role != "user" && role != "assistant" {
		return compliance.Message{}, fmt.Errorf("simulator: role must be user or assistant, got %q", role)
	}
	if at.IsZero() {
		at = time.Now()
	}
	at = at.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.chats[chatID]
	if !ok {
		return compliance.Message{}, fmt.Errorf("simulator: chat %s not found", chatID)
	}
	if c.deletedAt != nil {
		return compliance.Message{}, fmt.Errorf("simulator: chat %s was deleted", chatID)
	}
	m := &message{id: newID(s.rng, "claude_chat_msg_"), role: role, at: at,
		explicit: []compliance.ContentBlock{{Type: compliance.BlockText, Text: text}}}
	s.st.appendMessage(c, m)
	if role == "user" {
		s.st.addChatActivity(s.rng, c, "claude_chat_updated", at, s.visibleAt())
	}
	return s.messageModel(c, m, -1, -1), nil
}

// SoftDeleteChat simulates a user deleting a chat in claude.ai: it stays
// listed with deleted_at set and an empty name, its messages lose their
// content, its files, generated files and artifacts are gone, and a
// claude_chat_deleted activity is recorded.
func (s *Server) SoftDeleteChat(chatID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.chats[chatID]
	if !ok {
		return fmt.Errorf("simulator: chat %s not found", chatID)
	}
	if c.deletedAt != nil {
		return nil
	}
	now := time.Now().UTC()
	if now.Before(c.updatedAt) {
		now = c.updatedAt.Add(time.Second)
	}
	s.st.softDelete(c, now)
	s.st.addChatActivity(s.rng, c, "claude_chat_deleted", now, s.visibleAt())
	return nil
}

// HardDeleteChat removes a chat as the Compliance API DELETE does: the chat,
// its messages and files are gone and every read answers 404.
func (s *Server) HardDeleteChat(chatID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.chats[chatID]
	if !ok {
		return fmt.Errorf("simulator: chat %s not found", chatID)
	}
	s.st.hardDelete(c)
	return nil
}

func (s *Server) visibleAt() time.Time { return time.Now().Add(s.cfg.IngestDelay) }

// sortRecords sorts activity records by (created_at, id) ascending.
func sortRecords(rs []*record) {
	sort.Slice(rs, func(i, j int) bool { return recordLess(rs[i], rs[j]) })
}

func recordLess(a, b *record) bool {
	if !a.at.Equal(b.at) {
		return a.at.Before(b.at)
	}
	return a.id < b.id
}
