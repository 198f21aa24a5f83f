package simulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

// generator builds the synthetic organization; everything is drawn from one
// PCG stream in a fixed order, so a seed always gives the same organization.
type generator struct {
	cfg  Config
	rng  *rand.Rand
	corp *corpus
	st   *state
	acts actors
	recs []*record
	// mcp servers created so far, for update and delete events.
	mcpIDs []string
	// agentRNG picks the sessions' tool calls; a stream of its own keeps
	// everything else the seed makes unchanged.
	agentRNG  *rand.Rand
	riskyTurn int
}

func generate(cfg Config, corp *corpus) *state {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed))
	end := cfg.End
	start := end.Add(-time.Duration(cfg.Days) * 24 * time.Hour)
	st := &state{
		start: start, end: end, corp: corp,
		orgByKey: map[string]*org{}, userByID: map[string]*user{}, projects: map[string]*project{},
		chats: map[string]*chat{}, files: map[string]*file{}, genFiles: map[string]*genFile{},
		artifacts: map[string]*artifact{}, docs: map[string]*document{},
		feedByID: map[string]*record{}, typeCounts: map[string]int{},
	}
	g := &generator{cfg: cfg, rng: rng, corp: corp, st: st, agentRNG: rand.New(rand.NewPCG(uint64(cfg.Seed), 0xa9e7))}
	g.orgs()
	g.users()
	g.acts = actors{users: st.users, rng: rng}
	g.directory()
	g.projects()
	for d := range cfg.Days {
		for _, u := range st.users {
			g.userDay(u, d)
		}
		for _, o := range st.orgs {
			g.adminDay(o, d)
		}
	}
	g.placeSpecialMessages()
	g.catalogue()
	g.sessions()
	g.codeArtifacts()

	sort.SliceStable(st.chatList, func(i, j int) bool {
		a, b := st.chatList[i], st.chatList[j]
		if !a.createdAt.Equal(b.createdAt) {
			return a.createdAt.Before(b.createdAt)
		}
		return a.id < b.id
	})
	// Keep only what happened inside the window; the feed is not retroactive.
	kept := g.recs[:0]
	for _, r := range g.recs {
		if !r.at.Before(start) && r.at.Before(end) {
			kept = append(kept, r)
		}
	}
	sortRecords(kept)
	st.feed = kept
	for _, r := range kept {
		st.feedByID[r.id] = r
		st.typeCounts[r.typ]++
	}
	return st
}

func (g *generator) add(r *record) { g.recs = append(g.recs, r) }

func (g *generator) uact(u *user) actorJSON { return userActor(u, u.ip, u.ua) }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// between returns a random time in [a, b).
func (g *generator) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a)))))
}

func (g *generator) orgs() {
	n := 1 + g.rng.IntN(3)
	for i := range n {
		uuid := newUUID(g.rng)
		o := &org{uuid: uuid, tag: newID(g.rng, "org_"), name: g.corp.OrgNames[i%len(g.corp.OrgNames)],
			createdAt: g.st.start.AddDate(-1, i, 0).Truncate(time.Second)}
		o.settings = orgSettings(g.rng, i)
		g.st.orgs = append(g.st.orgs, o)
		g.st.orgByKey[o.uuid], g.st.orgByKey[o.tag] = o, o
	}
}

func orgSettings(rng *rand.Rand, i int) []compliance.Setting {
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	set := []compliance.Setting{
		{Name: "chat_enabled", Type: "boolean", Value: raw(true)},
		{Name: "claude_ai_chat_sharing_enabled", Type: "boolean", Value: raw(i == 0)},
		{Name: "code_execution_enabled", Type: "boolean", Value: raw(rng.IntN(2) == 0)},
		{Name: "content_redaction_enabled", Type: "boolean", Value: raw(false)},
		{Name: "ip_allowlist_enabled", Type: "boolean", Value: raw(i == 0)},
		{Name: "memory_enabled", Type: "boolean", Value: raw(true)},
		{Name: "public_projects_enabled", Type: "boolean", Value: raw(rng.IntN(2) == 0)},
		{Name: "skills_enabled", Type: "boolean", Value: raw(true)},
		{Name: "sso_enabled", Type: "boolean", Value: raw(true)},
		{Name: "web_search_enabled", Type: "boolean", Value: raw(true)},
		{Name: "account_session_duration_seconds", Type: "integer", Value: raw(nil)},
		{Name: "claude_code_default_worker_pool_id", Type: "string", Value: raw(nil)},
		{Name: "allowed_invite_domains", Type: "string_list", Value: raw([]string{"acme-corp.example"})},
		{Name: "sso_provisioning_mode", Type: "provisioning_mode", Value: raw("scim_advanced")},
		{Name: "data_retention_periods", Type: "data_retention", Value: raw(map[string]any{"chat": map[string]any{"type": "fixed", "timescale": "day", "duration": 90 * (i + 1)}})},
	}
	if i == 0 {
		set = append(set, compliance.Setting{Name: "ip_allowlist_ip_ranges", Type: "string_list", Value: raw([]string{"10.0.0.0/8", "198.51.100.0/24"})})
	}
	return set
}

var orgRoles = []string{"user", "user", "user", "user", "user", "developer", "claude_code_user", "admin", "membership_admin", "billing", "managed"}

func (g *generator) users() {
	seen := map[string]int{}
	for i := range g.cfg.Users {
		first, last := pick(g.rng, g.corp.FirstNames), pick(g.rng, g.corp.LastNames)
		local := strings.ToLower(first + "." + last)
		seen[local]++
		if seen[local] > 1 {
			local = fmt.Sprintf("%s%d", local, seen[local])
		}
		o := g.st.orgs[0]
		if len(g.st.orgs) > 1 && i%5 >= 3 {
			o = g.st.orgs[1+i%(len(g.st.orgs)-1)]
		}
		role := pick(g.rng, orgRoles)
		switch i {
		case 0:
			role = "primary_owner"
		case 1:
			role = "owner"
		case 2:
			role = "admin"
		}
		home := pick(g.rng, g.corp.HomeNetworks)
		u := &user{
			id: newID(g.rng, "user_"), name: first + " " + last, email: local + "@" + g.corp.Domain,
			role: role, org: o, home: home,
			createdAt: g.st.start.Add(-time.Duration(1+g.rng.IntN(700)) * 24 * time.Hour).Add(time.Duration(g.rng.IntN(86400)) * time.Second),
			ip:        fmt.Sprintf("%s%d", home.Prefix, 2+g.rng.IntN(250)),
			ua:        pick(g.rng, g.corp.UserAgents),
			login:     "sso",
		}
		if g.chance(0.15) {
			u.login = pick(g.rng, []string{"google", "microsoft", "apple"})
		}
		u.engineer = role == "developer" || role == "claude_code_user" || g.chance(0.3)
		g.st.users = append(g.st.users, u)
		g.st.userByID[u.id] = u
	}
}

func (g *generator) admins(o *org) []*user {
	var out []*user
	for _, u := range g.st.users {
		if u.org == o && (u.role == "admin" || u.role == "owner" || u.role == "primary_owner") {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		out = append(out, g.st.users[0])
	}
	return out
}

// directory makes roles, groups and the Compliance keys of the settings endpoint.
func (g *generator) directory() {
	for _, o := range g.st.orgs {
		for _, rt := range g.corp.Roles {
			r := &role{id: newID(g.rng, "rbac_role_"), name: rt.Name, description: rt.Description, org: o,
				at: o.createdAt.Add(time.Duration(1+g.rng.IntN(200)) * 24 * time.Hour).Add(time.Duration(g.rng.IntN(1e6)) * time.Microsecond)}
			for _, a := range rt.Actions {
				r.perms = append(r.perms, compliance.Permission{Action: a, ResourceType: "organization", ResourceID: o.uuid})
			}
			g.st.roles = append(g.st.roles, r)
		}
	}
	for _, name := range g.corp.Groups {
		gr := &group{id: newID(g.rng, "rbac_group_"), name: name, description: "The " + name + " team",
			source: pick(g.rng, []string{"direct", "scim", "scim"}),
			at:     g.st.start.Add(-time.Duration(10+g.rng.IntN(300)) * 24 * time.Hour).Add(time.Duration(g.rng.IntN(1e6)) * time.Microsecond)}
		if g.chance(0.6) {
			gr.roles = []string{pick(g.rng, g.st.roles).id}
		}
		for _, u := range g.st.users {
			if g.chance(0.2) {
				gr.members = append(gr.members, u)
			}
		}
		g.st.groups = append(g.st.groups, gr)
	}
	owner := g.st.users[0]
	g.st.apiKeys = []compliance.APIKeyInfo{
		{Type: "compliance_api_key", ID: "apikey_01SIEMexport0000000000000", Name: "SIEM Export (retired)",
			Scopes: []string{"read:compliance_org_settings"}, IsActive: false, CreatedAt: compliance.NewTime(g.st.start.AddDate(0, -6, 0)), CreatedByID: nil},
		{Type: "compliance_api_key", ID: "apikey_01CLAUDITsimulator00000000", Name: "claudit",
			Scopes: append([]string(nil), g.cfg.Scopes...), IsActive: true, CreatedAt: compliance.NewTime(g.st.start.AddDate(0, -1, 0)), CreatedByID: &owner.id},
	}
}

func (g *generator) projects() {
	n := max(3, g.cfg.Users/5)
	for i := range n {
		owner := pick(g.rng, g.st.users)
		created := g.between(g.st.start.AddDate(0, 0, -60), g.st.end.Add(-24*time.Hour)).Truncate(time.Second)
		p := &project{
			id: newID(g.rng, "claude_proj_"), name: g.corp.ProjectNames[i%len(g.corp.ProjectNames)],
			org: owner.org, owner: owner, createdAt: created, updatedAt: created.Add(time.Duration(g.rng.IntN(72)) * time.Hour),
			private: g.chance(0.6),
		}
		if p.updatedAt.After(g.st.end) {
			p.updatedAt = created
		}
		p.description = "Workspace for " + strings.ToLower(p.name) + "."
		p.instructions = "You are helping the " + p.name + " team. Be concise and cite sources from the project knowledge."
		g.add(newRecord(newID(g.rng, "activity_"), created, p.org, g.uact(owner), "claude_project_created", []kv{{"claude_project_id", p.id}}))
		p.collaborators = append(p.collaborators, collaborator{kind: "user", id: owner.id, role: "owner", grantedAt: created})
		if !p.private {
			aud := pick(g.rng, []string{"organization", "organization", "public"})
			at := created.Add(time.Duration(1+g.rng.IntN(48)) * time.Hour)
			g.add(newRecord(newID(g.rng, "activity_"), at, p.org, g.uact(owner), "claude_project_sharing_updated",
				[]kv{{"claude_project_id", p.id}, {"audience", []map[string]string{{"type": aud}}}}))
			p.collaborators = append(p.collaborators, collaborator{kind: "organization", id: p.org.uuid, role: "viewer", grantedAt: at})
		}
		for range g.rng.IntN(3) {
			u := pick(g.rng, g.st.users)
			at := created.Add(time.Duration(1+g.rng.IntN(96)) * time.Hour)
			p.collaborators = append(p.collaborators, collaborator{kind: "user", id: u.id, role: pick(g.rng, []string{"editor", "viewer"}), grantedAt: at})
			if g.chance(0.3) {
				invitee := u.email
				if g.chance(0.4) {
					invitee = g.corp.value(g.rng, "ext_email")
				}
				g.add(newRecord(newID(g.rng, "activity_"), at, p.org, g.uact(owner), "pending_share_created",
					[]kv{{"invitee_email", invitee}, {"resource_id", p.id}, {"resource_type", "project"}, {"role", "viewer"}}))
			}
		}
		if g.chance(0.3) {
			gr := pick(g.rng, g.st.groups)
			p.collaborators = append(p.collaborators, collaborator{kind: "group", id: gr.id, role: "viewer", grantedAt: created.Add(2 * time.Hour)})
		}
		sort.SliceStable(p.collaborators, func(i, j int) bool { return p.collaborators[i].grantedAt.Before(p.collaborators[j].grantedAt) })
		for k := range 1 + g.rng.IntN(4) {
			at := created.Add(time.Duration(k+1) * time.Minute)
			if g.chance(0.5) {
				fm := pick(g.rng, g.corp.Files)
				f := g.newFile(fm, at)
				f.project = p
				p.files = append(p.files, f)
				g.add(newRecord(newID(g.rng, "activity_"), at, p.org, g.uact(owner), "claude_project_file_uploaded",
					[]kv{{"claude_file_id", f.id}, {"claude_project_id", p.id}, {"filename", nil}}))
			} else {
				d := &document{id: newID(g.rng, "claude_proj_doc_"), project: p, owner: owner, createdAt: at,
					filename: pick(g.rng, []string{"style-guide.md", "glossary.txt", "onboarding.md", "faq.txt"})}
				d.content = g.corp.fill(g.rng, pick(g.rng, pick(g.rng, g.corp.Topics).Answers))
				p.docs = append(p.docs, d)
				g.st.docs[d.id] = d
				g.add(newRecord(newID(g.rng, "activity_"), at, p.org, g.uact(owner), "claude_project_document_uploaded",
					[]kv{{"claude_project_document_id", d.id}, {"claude_project_id", p.id}, {"filename", nil}}))
			}
		}
		g.st.projectList = append(g.st.projectList, p)
		g.st.projects[p.id] = p
	}
	sort.SliceStable(g.st.projectList, func(i, j int) bool { return g.st.projectList[i].createdAt.Before(g.st.projectList[j].createdAt) })
}

func (g *generator) newFile(fm namedMime, at time.Time) *file {
	f := &file{id: newID(g.rng, "claude_file_"), uuid: newUUID(g.rng), filename: fm.Filename, mime: fm.Mime,
		at: at, seed: g.rng.Uint64()}
	b := fileBytes(g.corp, f.seed, f.filename, f.mime)
	f.size, f.md5 = int64(len(b)), md5hex(b)
	g.st.files[f.id] = f
	return f
}

// userDay generates one user's sign-ins, chats and side activity for day d.
func (g *generator) userDay(u *user, d int) {
	day := g.st.start.Truncate(24*time.Hour).AddDate(0, 0, d)
	if day.Before(g.st.start) {
		day = day.AddDate(0, 0, 1)
	}
	work := day.Add(time.Duration(9-u.home.TZ) * time.Hour)
	if g.chance(0.12) {
		return // day off
	}
	nChats := 2 + g.rng.IntN(5)
	times := make([]time.Time, nChats)
	for i := range times {
		times[i] = g.between(work, work.Add(9*time.Hour))
		if g.chance(0.04) {
			times[i] = g.between(work.Add(13*time.Hour), work.Add(16*time.Hour)) // late night
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	g.login(u, times[0].Add(-time.Duration(2+g.rng.IntN(20))*time.Minute), u.ip, u.ua)
	var last time.Time
	for _, t := range times {
		if e := g.chat(u, t); e.After(last) {
			last = e
		}
	}
	if g.chance(0.25) {
		g.add(newRecord(newID(g.rng, "activity_"), last.Add(time.Duration(1+g.rng.IntN(60))*time.Minute), nil, g.uact(u), "user_logged_out", nil))
	}
	if g.chance(0.015) {
		g.unusualBurst(u, day)
	}
}

func (g *generator) login(u *user, at time.Time, ip, ua string) {
	email := u.email
	act := userActor(u, ip, ua)
	if u.login != "sso" {
		g.add(newRecord(newID(g.rng, "activity_"), at, nil, act, "social_login_succeeded",
			[]kv{{"provider", u.login}, {"auth_method", "social"}, {"mfa_method", nil}}))
		return
	}
	if g.chance(0.04) {
		g.add(newRecord(newID(g.rng, "activity_"), at.Add(-90*time.Second), nil, unauthActor(&email, ip, ua), "sso_login_failed", nil))
	}
	g.add(newRecord(newID(g.rng, "activity_"), at.Add(-3*time.Second), nil, unauthActor(&email, ip, ua), "sso_login_initiated", nil))
	g.add(newRecord(newID(g.rng, "activity_"), at, nil, act, "sso_login_succeeded", []kv{{"auth_method", "sso"}, {"mfa_method", nil}}))
}

// unusualBurst is a sign-in from a new country at night followed by a burst of reads and exports.
func (g *generator) unusualBurst(u *user, day time.Time) {
	nw := pick(g.rng, g.corp.Unusual)
	ip := fmt.Sprintf("%s%d", nw.Prefix, 2+g.rng.IntN(250))
	ua := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"
	at := day.Add(time.Duration(2-u.home.TZ+24)%24*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second)
	g.login(u, at, ip, ua)
	act := userActor(u, ip, ua)
	for i := range 5 + g.rng.IntN(12) {
		t := at.Add(time.Duration(30+i*20+g.rng.IntN(20)) * time.Second)
		if g.chance(0.5) {
			g.add(newRecord(newID(g.rng, "activity_"), t, u.org, act, "claude_chat_viewed",
				[]kv{{"claude_chat_id", newID(g.rng, "claude_chat_")}, {"claude_project_id", nil}}))
		} else {
			g.add(newRecord(newID(g.rng, "activity_"), t, u.org, act, "claude_file_exported",
				[]kv{{"export_destination", "google_drive"}, {"filename", ""}, {"claude_file_id", newID(g.rng, "claude_file_")}, {"claude_chat_id", nil}}))
		}
	}
	if g.chance(0.5) {
		g.add(newRecord(newID(g.rng, "activity_"), at.Add(10*time.Minute), u.org, act, "org_data_export_started", []kv{{"export_type", "conversations"}}))
	}
}

var riskyKinds = []msgKind{kPII, kPII, kPII, kSecret, kSecret, kSecret, kCode, kCode, kCode, kURL, kURL, kEncoded, kInjection, kInjection, kToxic}

// chat generates one conversation starting at t and returns when it ended.
func (g *generator) chat(u *user, t time.Time) time.Time {
	st := g.st
	if !t.Before(st.end.Add(-30 * time.Minute)) {
		return t
	}
	c := &chat{id: newID(g.rng, "claude_chat_"), uuid: newUUID(g.rng), org: u.org, user: u,
		model: pick(g.rng, g.corp.Models), topic: g.rng.IntN(len(g.corp.Topics)), variant: g.rng.IntN(1 << 16)}
	c.name = g.corp.Topics[c.topic].Titles[c.variant%len(g.corp.Topics[c.topic].Titles)]
	if g.chance(0.2) {
		var inOrg []*project
		for _, p := range st.projectList {
			if p.org == c.org && !p.createdAt.After(t) {
				inOrg = append(inOrg, p)
			}
		}
		if len(inOrg) > 0 {
			c.project = pick(g.rng, inOrg)
			c.project.chats++
		}
	}
	turns := 1 + g.rng.IntN(6)
	at := t
	injecting := false
	var lastArt *artifact
	for i := range turns {
		// A chat ends with the history: a turn whose answer (up to 90 s
		// later) could fall after st.end is not had. A chat updated after
		// the end would sit past a client's chat cursor, so a change made
		// to another chat later (a deletion, a new message) would be
		// listed before it and never be seen again.
		if i > 0 && !at.Before(st.end.Add(-90*time.Second)) {
			break
		}
		um := &message{id: newID(g.rng, "claude_chat_msg_"), role: "user", at: at.Truncate(time.Microsecond), seed: g.rng.Uint64(), kind: kFollowup}
		if i == 0 {
			um.kind = kPrompt
		}
		switch {
		case injecting && g.chance(0.7):
			um.kind = kInjection
		case g.chance(0.12):
			um.kind = pick(g.rng, riskyKinds)
			injecting = um.kind == kInjection
		}
		if um.kind == kPrompt && g.chance(0.12) {
			for range 1 + g.rng.IntN(2) {
				f := g.newFile(pick(g.rng, g.corp.Files), um.at)
				f.chat, f.msg = c, um
				um.files = append(um.files, f)
				g.add(newRecord(newID(g.rng, "activity_"), um.at.Add(-2*time.Second), c.org, g.uact(u), "claude_file_uploaded",
					[]kv{{"claude_file_id", f.id}, {"filename", nil}, {"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}))
			}
		}
		c.msgs = append(c.msgs, um)
		at = at.Add(time.Duration(5+g.rng.IntN(85))*time.Second + time.Duration(g.rng.IntN(1e6))*time.Microsecond)
		am := &message{id: newID(g.rng, "claude_chat_msg_"), role: "assistant", at: at.Truncate(time.Microsecond), seed: g.rng.Uint64(), kind: kAnswer}
		switch um.kind {
		case kInjection, kToxic:
			am.kind = kRefusal
		case kPII, kSecret:
			am.kind = kRiskyAnswer
		}
		if am.kind == kAnswer {
			am.tools = g.chance(0.15)
			if g.chance(0.05) {
				gm := pick(g.rng, g.corp.GeneratedFiles)
				gf := &genFile{id: newID(g.rng, "claude_gen_file_"), filename: gm.Filename, mime: gm.Mime, at: am.at, chat: c, seed: g.rng.Uint64()}
				b := fileBytes(g.corp, gf.seed, gf.filename, gf.mime)
				gf.size, gf.md5 = int64(len(b)), md5hex(b)
				am.gen = append(am.gen, gf)
				st.genFiles[gf.id] = gf
			}
			if g.chance(0.08) {
				am.arts = append(am.arts, g.artifact(c, u, am, lastArt))
				lastArt = am.arts[0]
			}
		}
		c.msgs = append(c.msgs, am)
		if i > 0 {
			g.add(newRecord(newID(g.rng, "activity_"), um.at, c.org, g.uact(u), "claude_chat_updated",
				[]kv{{"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}))
		}
		at = at.Add(time.Duration(30+g.rng.IntN(900)) * time.Second)
	}
	c.createdAt = c.msgs[0].at
	c.updatedAt = c.msgs[len(c.msgs)-1].at
	g.add(newRecord(newID(g.rng, "activity_"), c.createdAt, c.org, g.uact(u), "claude_chat_created",
		[]kv{{"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}))
	g.add(newRecord(newID(g.rng, "activity_"), c.createdAt.Add(time.Second), c.org, g.uact(u), "claude_chat_viewed",
		[]kv{{"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}))
	if g.chance(0.4) {
		g.add(newRecord(newID(g.rng, "activity_"), g.between(c.updatedAt, c.updatedAt.Add(30*time.Hour)), c.org, g.uact(u), "claude_chat_viewed",
			[]kv{{"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}))
	}
	if g.chance(0.03) {
		share := newID(g.rng, "share_")
		g.add(newRecord(newID(g.rng, "activity_"), c.updatedAt.Add(time.Minute), c.org, g.uact(u), "claude_chat_snapshot_created",
			[]kv{{"claude_chat_id", c.id}, {"claude_chat_snapshot_id", newID(g.rng, "claude_chat_snapshot_")}}))
		g.add(newRecord(newID(g.rng, "activity_"), c.updatedAt.Add(time.Minute+time.Second), c.org, g.uact(u), "session_share_created",
			[]kv{{"access_level", pick(g.rng, []string{"view", "view", "comment"})}, {"share_id", share}}))
	}
	for _, m := range c.msgs {
		for _, f := range m.files {
			if g.chance(0.05) {
				g.add(newRecord(newID(g.rng, "activity_"), m.at.Add(time.Duration(1+g.rng.IntN(3600))*time.Second), c.org, g.uact(u), "claude_file_exported",
					[]kv{{"export_destination", "google_drive"}, {"filename", ""}, {"claude_file_id", f.id}, {"claude_chat_id", c.id}}))
			}
		}
	}
	// A few users delete a chat in claude.ai later on (soft delete).
	if g.chance(0.03) {
		del := g.between(c.updatedAt.Add(time.Hour), c.updatedAt.Add(48*time.Hour)).Truncate(time.Microsecond)
		if del.Before(st.end) {
			g.add(newRecord(newID(g.rng, "activity_"), del, c.org, g.uact(u), "claude_chat_deleted",
				[]kv{{"claude_chat_id", c.id}, {"claude_project_id", projectIDPtr(c.project)}}))
			st.softDelete(c, del)
		}
	}
	st.chatList = append(st.chatList, c)
	st.chats[c.id] = c
	return c.updatedAt
}

func (g *generator) artifact(c *chat, u *user, m *message, prev *artifact) *artifact {
	a := &artifact{versionID: newID(g.rng, "claude_artifact_version_"), at: m.at, chat: c}
	if prev != nil && g.chance(0.5) {
		a.id, a.title, a.atype = prev.id, prev.title, prev.atype
	} else {
		am := pick(g.rng, g.corp.Artifacts)
		a.id, a.title, a.atype = newID(g.rng, "claude_artifact_"), am.Title, am.Type
		g.add(newRecord(newID(g.rng, "activity_"), m.at, c.org, g.uact(u), "claude_artifact_created", []kv{{"claude_artifact_id", a.id}}))
	}
	a.content = artifactText(g.rng, g.corp, a.title, a.atype)
	g.st.artifacts[a.versionID] = a
	if g.chance(0.15) {
		aud := pick(g.rng, []string{"organization", "users", "anyone_with_link"})
		g.add(newRecord(newID(g.rng, "activity_"), m.at.Add(5*time.Minute), c.org, g.uact(u), "claude_artifact_sharing_updated",
			[]kv{{"audience", []map[string]string{{"type": aud}}}, {"claude_artifact_id", a.id}, {"claude_artifact_version_id", a.versionID},
				{"previous_mode", ptr("private")}, {"new_mode", ptr(aud)}}))
	}
	return a
}

// adminDay sprinkles administrative and non-user activity over one day of one org.
func (g *generator) adminDay(o *org, d int) {
	day := g.st.start.AddDate(0, 0, d)
	admins := g.admins(o)
	at := func() time.Time { return g.between(day.Add(8*time.Hour), day.Add(20*time.Hour)) }
	rec := func(typ string, a actorJSON, fields []kv) {
		g.add(newRecord(newID(g.rng, "activity_"), at(), o, a, typ, fields))
	}
	adm := func() actorJSON { return g.uact(pick(g.rng, admins)) }
	if g.chance(0.3) {
		srv := pick(g.rng, g.corp.MCPServers)
		id := newID(g.rng, "mcpsrv_")
		g.mcpIDs = append(g.mcpIDs, id)
		rec("mcp_server_created", adm(), []kv{{"mcp_server_id", id}, {"mcp_server_name", srv.Name}})
	}
	if len(g.mcpIDs) > 0 && g.chance(0.2) {
		rec("mcp_server_updated", adm(), []kv{{"mcp_server_id", pick(g.rng, g.mcpIDs)}, {"mcp_server_name", pick(g.rng, g.corp.MCPServers).Name}})
	}
	if len(g.mcpIDs) > 0 && g.chance(0.05) {
		rec("mcp_server_deleted", adm(), []kv{{"mcp_server_id", pick(g.rng, g.mcpIDs)}, {"mcp_server_name", pick(g.rng, g.corp.MCPServers).Name}})
	}
	if g.chance(0.2) {
		id, name := newID(g.rng, "skill_"), pick(g.rng, g.corp.Skills)
		u := pick(g.rng, g.st.users)
		rec("claude_skill_created", g.uact(u), []kv{{"skill_id", id}, {"skill_name", name}})
		rec("claude_skill_enabled", g.uact(u), []kv{{"skill_id", id}, {"skill_name", name}})
	}
	if g.chance(0.1) {
		u := pick(g.rng, g.st.users)
		rec("claude_user_role_updated", adm(), []kv{{"user_email", u.email}, {"user_id", u.id}, {"previous_role", ptr(u.role)}, {"current_role", ptr(pick(g.rng, []string{"admin", "user", "developer"}))}})
	}
	if g.chance(0.15) {
		var rid string
		for _, r := range g.st.roles {
			if r.org == o {
				rid = r.id
				break
			}
		}
		rec("rbac_role_assigned", adm(), []kv{{"principal_id", pick(g.rng, g.st.users).id}, {"principal_type", "user"}, {"role_id", rid}})
	}
	if g.chance(0.05) {
		rec("api_key_created", adm(), []kv{{"api_key_id", newID(g.rng, "apikey_")}, {"scopes", []string{ScopeActivities}}, {"restricted_to_organization", true}})
	}
	if g.chance(0.03) {
		rec("admin_api_key_created", adm(), []kv{{"admin_api_key_id", newID(g.rng, "apikey_")}, {"scopes", []string{"read:compliance_activities", "write:members"}}})
	}
	if g.chance(0.04) {
		rec("org_data_export_started", adm(), []kv{{"export_type", ptr("conversations")}})
	}
	if g.chance(0.1) {
		setting := pick(g.rng, []string{"web_search_enabled", "public_projects_enabled", "redact_content"})
		prev := g.chance(0.5)
		rec("claude_organization_settings_updated", adm(), []kv{{"updates", []map[string]any{{"type": setting, "previous_value": prev, "current_value": !prev}}}})
	}
	if g.chance(0.2) {
		rec("scim_user_updated", g.acts.actorOf(compliance.ActorSCIM), []kv{{"user_id", pick(g.rng, g.st.users).id}})
	}
	if g.chance(0.1) {
		gr := pick(g.rng, g.st.groups)
		rec("group_member_added", g.acts.actorOf(compliance.ActorSCIM), []kv{{"group_id", gr.id}, {"member_ids", []string{pick(g.rng, g.st.users).id}}})
	}
	if g.chance(0.1) {
		rec("trusted_device_revoked", g.acts.actorOf(compliance.ActorSystem), []kv{{"reason", "superseded"}, {"revoked_count", 1}, {"trusted_device_id", ptr(newID(g.rng, "tdev_"))}})
	}
	if g.chance(0.1) {
		rec("org_user_invite_sent", g.acts.actorOf(compliance.ActorAdminAPIKey), []kv{{"invited_email", ptr(g.corp.value(g.rng, "email"))}, {"invited_role", ptr("user")}})
	}
	if o == g.st.orgs[0] && g.chance(0.8) {
		// A previous compliance export tool read the feed; these are tied to no org.
		t := at()
		g.add(newRecord(newID(g.rng, "activity_"), t, nil, encodeActor([]kv{{"type", compliance.ActorAPI}, {"api_key_id", "apikey_01SIEMexport0000000000000"},
			{"ip_address", "198.51.100.200"}, {"user_agent", "siem-forwarder/3.2"}}, ""), "compliance_api_accessed",
			[]kv{{"request_id", "req_011C" + randFrom(g.rng, alnum, 20)}, {"request_method", "GET"}, {"status_code", 200},
				{"url", "https://api.anthropic.com/v1/compliance/activities?limit=1000"}, {"request_body", nil}}))
	}
}

// placeSpecialMessages puts one hostile-markup message and one ~1 MB message in every org.
func (g *generator) placeSpecialMessages() {
	for _, o := range g.st.orgs {
		var cs []*chat
		for _, c := range g.st.chatList {
			if c.org == o && c.deletedAt == nil {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			continue
		}
		cs[len(cs)/2].msgs[0].kind = kHostile
		long := cs[len(cs)/3]
		if long == cs[len(cs)/2] && len(cs) > 1 {
			long = cs[len(cs)/2-1]
		}
		for _, m := range long.msgs {
			if m.role == "user" && m.kind != kHostile {
				m.kind = kLong
				break
			}
		}
	}
}

// catalogue adds one activity of every documented type so that decoding of
// each is exercised, spread over the window.
func (g *generator) catalogue() {
	types := compliance.ActivityTypes()
	span := g.st.end.Sub(g.st.start)
	for i, t := range types {
		slot := span / time.Duration(len(types)+1)
		at := g.st.start.Add(slot * time.Duration(i)).Add(time.Duration(g.rng.Int64N(int64(slot))))
		g.add(genericActivity(g.rng, g.acts, t, at, pick(g.rng, g.st.orgs)))
	}
}

func (g *generator) sessions() {
	st := g.st
	for _, u := range st.users {
		if !u.engineer {
			continue
		}
		for d := 0; d < g.cfg.Days; d += 2 + g.rng.IntN(3) {
			created := g.between(st.start.AddDate(0, 0, d), st.start.AddDate(0, 0, d+1)).Truncate(time.Millisecond)
			if !created.Before(st.end.Add(-time.Hour)) {
				continue
			}
			ls := &localSession{id: newID(g.rng, "clls_"), workspace: newID(g.rng, "wrkspc_"), org: u.org, user: u,
				surface: pick(g.rng, []string{"claude_code", "claude_code", "cowork", "office_agents/excel"}), createdAt: created}
			ls.msgs = g.sessionMessages("clsm_", "compliance_local_session_message", created, true)
			ls.updatedAt = ls.msgs[len(ls.msgs)-1].CreatedAt.Time
			st.localSessions = append(st.localSessions, ls)
		}
	}
	sort.SliceStable(st.localSessions, func(i, j int) bool { return st.localSessions[i].createdAt.After(st.localSessions[j].createdAt) })
	for range max(2, g.cfg.Users/10) {
		u := pick(g.rng, st.users)
		created := g.between(st.start, st.end.Add(-time.Hour)).Truncate(time.Millisecond)
		rs := &remoteSession{id: newID(g.rng, "cse_"), org: u.org, user: u, createdAt: created,
			status: pick(g.rng, []string{"active", "archived", "archived", "paused", "failed"})}
		if g.chance(0.3) && len(st.projectList) > 0 {
			rs.project = pick(g.rng, st.projectList)
		}
		rs.msgs = g.sessionMessages("csev_", "", created, false)
		rs.updatedAt = rs.msgs[len(rs.msgs)-1].CreatedAt.Time
		st.remoteSessions = append(st.remoteSessions, rs)
	}
	if len(st.remoteSessions) > 0 {
		st.remoteSessions[len(st.remoteSessions)-1].status = "pending"
	}
	sort.SliceStable(st.remoteSessions, func(i, j int) bool { return st.remoteSessions[i].createdAt.After(st.remoteSessions[j].createdAt) })
}

func (g *generator) sessionMessages(prefix, typ string, at time.Time, local bool) []compliance.SessionMessage {
	var out []compliance.SessionMessage
	text := func(s string) []compliance.ContentBlock {
		return []compliance.ContentBlock{{Type: compliance.BlockText, Text: s}}
	}
	model := ptr(pick(g.rng, g.corp.Models))
	if local {
		out = append(out, compliance.SessionMessage{Type: typ, ID: newID(g.rng, prefix), Role: "user", CreatedAt: compliance.NewTime(at),
			Provenance: &compliance.Provenance{Type: "synthetic_marker"}, Content: text("[system prompt content not shown]")})
	}
	tp := pick(g.rng, g.corp.Topics)
	for i := range 1 + g.rng.IntN(3) {
		t := at.Add(time.Duration(i*90+g.rng.IntN(60)) * time.Second)
		prompt := g.corp.fill(g.rng, pick(g.rng, tp.Prompts))
		if g.chance(0.1) {
			prompt = g.corp.fill(g.rng, pick(g.rng, g.corp.Risky.Secrets))
		}
		out = append(out, compliance.SessionMessage{Type: typ, ID: newID(g.rng, prefix), Role: "user", CreatedAt: compliance.NewTime(t), Content: text(prompt)})
		id := newID(g.rng, "toolu_")
		tu, tr := toolBlocks(id, g.pickAgentAction())
		am := compliance.SessionMessage{Type: typ, ID: newID(g.rng, prefix), Role: "assistant", CreatedAt: compliance.NewTime(t.Add(20 * time.Second)),
			Content: append([]compliance.ContentBlock{tu}, text(g.corp.fill(g.rng, pick(g.rng, tp.Answers)))...)}
		rm := compliance.SessionMessage{Type: typ, ID: newID(g.rng, prefix), Role: "user", CreatedAt: compliance.NewTime(t.Add(25 * time.Second)), Content: []compliance.ContentBlock{tr}}
		if local {
			am.Model = model
		} else {
			f := false
			am.ContentUnavailable, rm.ContentUnavailable = &f, &f
			out[len(out)-1].ContentUnavailable = &f
		}
		out = append(out, am, rm)
	}
	return out
}

func (g *generator) codeArtifacts() {
	for range max(2, g.cfg.Users/10) {
		u := pick(g.rng, g.st.users)
		ca := &codeArtifact{id: newID(g.rng, "cart_"), org: u.org, owner: u, readMode: pick(g.rng, []string{"owner", "users", "org", "public"})}
		t := g.between(g.st.start, g.st.end.Add(-time.Hour)).Truncate(time.Second)
		for v := range 1 + g.rng.IntN(3) {
			vt := t.Add(time.Duration(v) * time.Hour)
			content := "<!doctype html><title>Internal tool</title><h1>Build " + fmt.Sprint(v+1) + "</h1>\n"
			if g.chance(0.35) {
				// A published tool with its credentials inlined: what a file-role scan should find.
				content += "<script>\nconst config = {\n  awsAccessKeyId: \"" + g.corp.value(g.rng, "aws_key") + "\",\n  database: \"" + g.corp.value(g.rng, "pg_url") + "\",\n};\n</script>\n"
			}
			ca.versions = append(ca.versions, codeVersion{id: fmt.Sprintf("%d-%s", vt.Unix(), randFrom(g.rng, "0123456789abcdef", 4)),
				name: fmt.Sprintf("v%d", v+1), at: vt, content: content})
			ca.updatedAt = vt
		}
		if len(g.st.codeArtifacts) == 0 {
			ca.versions[0].oversized = true // one download a client must give up on
		}
		g.st.codeArtifacts = append(g.st.codeArtifacts, ca)
	}
	for range max(1, g.cfg.Users/20) {
		u := pick(g.rng, g.st.users)
		ca := &codeArtifact{id: newID(g.rng, "cart_"), org: u.org, owner: u, readMode: pick(g.rng, []string{"owner", "users", "org"}),
			updatedAt: g.between(g.st.start, g.st.end.Add(-time.Hour)).Truncate(time.Second)}
		for i := range 1 + g.rng.IntN(3) {
			text := g.corp.fill(g.rng, pick(g.rng, pick(g.rng, g.corp.Topics).Answers))
			if g.chance(0.5) {
				// Notes that hold a customer's details: what a file-role scan should find.
				text += "\nEscalation contact: " + g.corp.value(g.rng, "name") + ", " + g.corp.value(g.rng, "phone") + ", SSN " + g.corp.value(g.rng, "ssn")
			}
			ca.tabs = append(ca.tabs, docTab{name: fmt.Sprintf("Tab %d", i+1), text: text})
		}
		g.st.codeArtifacts = append(g.st.codeArtifacts, ca)
	}
	sort.Slice(g.st.codeArtifacts, func(i, j int) bool { return g.st.codeArtifacts[i].id < g.st.codeArtifacts[j].id })
}
