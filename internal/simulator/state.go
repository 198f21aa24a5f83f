package simulator

import (
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

// state is the synthetic organization. Server.mu guards it after New.
type state struct {
	start, end time.Time
	corp       *corpus

	orgs     []*org
	orgByKey map[string]*org // by uuid and by org_ tag

	users    []*user
	userByID map[string]*user

	projectList []*project
	projects    map[string]*project

	chatList []*chat // by (created_at, id)
	chats    map[string]*chat
	// chatOrder caches chatList sorted by each order_by key (then id) until
	// a chat changes: sorting every chat for every page request was a
	// quarter of the simulator's CPU in a sync.
	orderMu   sync.Mutex
	chatOrder map[string][]*chat

	files     map[string]*file // chat uploads and project files that still exist
	genFiles  map[string]*genFile
	artifacts map[string]*artifact // by version id
	docs      map[string]*document

	roles          []*role
	groups         []*group
	localSessions  []*localSession // newest first
	remoteSessions []*remoteSession
	codeArtifacts  []*codeArtifact // by id
	apiKeys        []compliance.APIKeyInfo

	feed       []*record // by (created_at, id) ascending
	feedByID   map[string]*record
	typeCounts map[string]int
	// undecodable counts the feed records a client cannot decode.
	undecodable int
}

type network struct {
	Country string `json:"country"`
	Prefix  string `json:"prefix"`
	TZ      int    `json:"tz"`
}

type org struct {
	uuid, tag, name string
	createdAt       time.Time
	settings        []compliance.Setting
}

type user struct {
	id, name, email, role string
	org                   *org
	createdAt             time.Time
	home                  network
	ip                    string
	ua                    string
	login                 string // "sso" or a social provider
	engineer              bool
}

func (u *user) ref() *compliance.UserRef {
	e := u.email
	return &compliance.UserRef{ID: u.id, EmailAddress: &e}
}

type project struct {
	id, name, description, instructions string
	org                                 *org
	owner                               *user
	createdAt, updatedAt                time.Time
	deletedAt                           *time.Time
	private                             bool
	files                               []*file
	docs                                []*document
	collaborators                       []collaborator
	chats                               int
}

type collaborator struct {
	kind, id, role string
	grantedAt      time.Time
}

type document struct {
	id, filename, content string
	project               *project
	owner                 *user
	createdAt             time.Time
}

type chat struct {
	id, uuid, name       string
	org                  *org
	user                 *user
	project              *project
	model                string
	createdAt, updatedAt time.Time
	deletedAt            *time.Time
	msgs                 []*message
	topic                int
	// variant pairs the opening prompt with its matching answer.
	variant int
}

// msgKind selects the template a message's text is generated from.
type msgKind uint8

const (
	kPrompt msgKind = iota
	kFollowup
	kPII
	kSecret
	kCode
	kInjection
	kEncoded
	kURL
	kToxic
	kHostile
	kLong
	kAnswer
	kRefusal
	kRiskyAnswer
)

type message struct {
	id, role string
	at       time.Time
	seed     uint64
	kind     msgKind
	tools    bool
	files    []*file
	gen      []*genFile
	arts     []*artifact
	// explicit content (added by tests) wins over generated content.
	explicit []compliance.ContentBlock
}

type file struct {
	id, uuid, filename, mime string
	size                     int64
	md5                      string
	at                       time.Time
	chat                     *chat
	msg                      *message
	project                  *project
	seed                     uint64
}

type genFile struct {
	id, filename, mime string
	size               int64
	md5                string
	at                 time.Time
	chat               *chat
	seed               uint64
}

type artifact struct {
	id, versionID, title, atype string
	at                          time.Time
	chat                        *chat
	content                     string
}

type role struct {
	id, name, description string
	org                   *org
	at                    time.Time
	perms                 []compliance.Permission
}

type group struct {
	id, name, description, source string
	roles                         []string
	at                            time.Time
	members                       []*user
}

type localSession struct {
	id, workspace, surface string
	org                    *org
	user                   *user
	createdAt, updatedAt   time.Time
	msgs                   []compliance.SessionMessage
}

type remoteSession struct {
	id, status           string
	org                  *org
	user                 *user
	createdAt, updatedAt time.Time
	project              *project
	msgs                 []compliance.SessionMessage
}

type codeArtifact struct {
	id, readMode string
	org          *org
	owner        *user
	updatedAt    time.Time
	versions     []codeVersion
	// tabs, when set, make it a Claude Docs document: no versions, served
	// only as a ZIP with a DOCX per tab.
	tabs []docTab
	// undecodable lists it with versions a client cannot decode.
	undecodable bool
}

type docTab struct{ name, text string }

type codeVersion struct {
	id, name string
	at       time.Time
	content  string
	// oversized versions abort mid-stream, the only signal the API gives
	// for content over its size limit.
	oversized bool
}

// record is one activity in the feed, pre-encoded.
type record struct {
	at      time.Time
	id      string
	visible time.Time // zero = visible at once
	typ     string
	userID  string
	orgTag  string
	orgUUID string
	js      []byte
}

// insert adds a record at its sorted position.
func (st *state) insert(r *record) {
	i := sort.Search(len(st.feed), func(i int) bool { return recordLess(r, st.feed[i]) })
	st.feed = append(st.feed, nil)
	copy(st.feed[i+1:], st.feed[i:])
	st.feed[i] = r
	st.feedByID[r.id] = r
	st.typeCounts[r.typ]++
}

// appendMessage adds a message in time order and bumps updated_at.
func (st *state) appendMessage(c *chat, m *message) {
	i := sort.Search(len(c.msgs), func(i int) bool { return m.at.Before(c.msgs[i].at) })
	c.msgs = append(c.msgs, nil)
	copy(c.msgs[i+1:], c.msgs[i:])
	c.msgs[i] = m
	if m.at.After(c.updatedAt) {
		c.updatedAt = m.at
	}
	st.chatsChanged()
}

// chatsChanged drops the cached chat orders; callers hold the server's write lock.
func (st *state) chatsChanged() { st.chatOrder = nil }

// chatsBy returns every chat sorted by orderBy ("created_at" or
// "updated_at") and id. Callers hold the server's read lock.
func (st *state) chatsBy(orderBy string) []*chat {
	st.orderMu.Lock()
	defer st.orderMu.Unlock()
	if sorted, ok := st.chatOrder[orderBy]; ok {
		return sorted
	}
	key := func(c *chat) time.Time {
		if orderBy == "updated_at" {
			return c.updatedAt
		}
		return c.createdAt
	}
	sorted := slices.Clone(st.chatList)
	sort.Slice(sorted, func(i, j int) bool {
		ki, kj := key(sorted[i]), key(sorted[j])
		if !ki.Equal(kj) {
			return ki.Before(kj)
		}
		return sorted[i].id < sorted[j].id
	})
	if st.chatOrder == nil {
		st.chatOrder = map[string][]*chat{}
	}
	st.chatOrder[orderBy] = sorted
	return sorted
}

// dropContent removes a chat's files, generated files and artifacts.
func (st *state) dropContent(c *chat) {
	for _, m := range c.msgs {
		for _, f := range m.files {
			delete(st.files, f.id)
		}
		for _, g := range m.gen {
			delete(st.genFiles, g.id)
		}
		for _, a := range m.arts {
			delete(st.artifacts, a.versionID)
		}
	}
}

func (st *state) softDelete(c *chat, at time.Time) {
	st.dropContent(c)
	c.deletedAt = &at
	if at.After(c.updatedAt) {
		c.updatedAt = at
	}
	st.chatsChanged()
}

func (st *state) hardDelete(c *chat) {
	st.dropContent(c)
	delete(st.chats, c.id)
	for i, x := range st.chatList {
		if x == c {
			st.chatList = append(st.chatList[:i], st.chatList[i+1:]...)
			break
		}
	}
	if c.project != nil {
		c.project.chats--
	}
	st.chatsChanged()
}

// addChatActivity records a chat activity by the chat's owner.
func (st *state) addChatActivity(rng *rand.Rand, c *chat, typ string, at, visible time.Time) {
	fields := []kv{{"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}
	r := newRecord(newID(rng, "activity_"), at, c.org, userActor(c.user, c.user.ip, c.user.ua), typ, fields)
	r.visible = visible
	st.insert(r)
}

func projectIDPtr(p *project) *string {
	if p == nil {
		return nil
	}
	return &p.id
}

// newRecord encodes an activity; fields are sorted by key like the client's encoder.
func newRecord(id string, at time.Time, o *org, actor actorJSON, typ string, fields []kv) *record {
	at = at.UTC().Truncate(time.Millisecond)
	r := &record{at: at, id: id, typ: typ, userID: actor.userID}
	b := make([]byte, 0, 384)
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"created_at":"`...)
	b = at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","organization_id":`...)
	if o == nil {
		b = append(b, `null,"organization_uuid":null`...)
	} else {
		r.orgTag, r.orgUUID = o.tag, o.uuid
		b = appendString(b, o.tag)
		b = append(b, `,"organization_uuid":`...)
		b = appendString(b, o.uuid)
	}
	b = append(b, `,"actor":`...)
	b = append(b, actor.js...)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	sort.Slice(fields, func(i, j int) bool { return fields[i].k < fields[j].k })
	for _, f := range fields {
		b = append(b, ',')
		b = appendString(b, f.k)
		b = append(b, ':')
		b = appendValue(b, f.v)
	}
	b = append(b, '}')
	// A copy of the exact size: the feed holds every record for the
	// simulator's life, and the grown buffer's spare capacity was 9 % of
	// its heap (258 → 235 MB for 200 k activities).
	r.js = append([]byte(nil), b...)
	return r
}

// actorJSON is an encoded actor and, for user actors, its user id.
type actorJSON struct {
	js     []byte
	userID string
}

func userActor(u *user, ip, ua string) actorJSON {
	return encodeActor([]kv{{"type", compliance.ActorUser}, {"email_address", u.email}, {"user_id", u.id},
		{"ip_address", ip}, {"user_agent", ua}}, u.id)
}

func unauthActor(email *string, ip, ua string) actorJSON {
	return encodeActor([]kv{{"type", compliance.ActorUnauthenticated}, {"unauthenticated_email_address", email},
		{"ip_address", ip}, {"user_agent", ua}}, "")
}

func encodeActor(fields []kv, userID string) actorJSON {
	sort.Slice(fields, func(i, j int) bool { return fields[i].k < fields[j].k })
	b := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, f.k)
		b = append(b, ':')
		b = appendValue(b, f.v)
	}
	return actorJSON{js: append(b, '}'), userID: userID}
}
