package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/claudit/claudit/internal/compliance"
	"github.com/claudit/claudit/internal/store"
)

// Session streams. A walk over a session list is resumable: the ".walk"
// stream holds the page token of the walk in progress (and the newest time
// seen so far); the main stream holds where the next walk starts, and moves
// only when a walk is complete, since the lists run newest first.
const (
	StreamLocalSessions  = "local_sessions"
	StreamRemoteSessions = "remote_sessions"
	walkSuffix           = ".walk"
)

// transcriptRestarts bounds how often one transcript walk starts over after
// its page token expired (24 h on local-session messages).
const transcriptRestarts = 3

// sessionRef is what a session list item says about a session.
type sessionRef struct {
	id, orgUUID, userID, email, surface, projectID string
	created, updated                               time.Time
	remote                                         bool
}

// syncSessions syncs local, then remote sessions with their transcripts.
func (s *Syncer) syncSessions(ctx context.Context, w *writer) error {
	if err := s.syncSessionList(ctx, w, StreamLocalSessions); err != nil {
		if compliance.IsSessionsUnavailable(err) || compliance.IsPermission(err) {
			s.Log.Info("local sessions not available to this key; skipped", "err", err)
		} else {
			return err
		}
	}
	if err := s.syncSessionList(ctx, w, StreamRemoteSessions); err != nil {
		if compliance.IsPermission(err) {
			s.Log.Info("remote sessions not available to this key; skipped", "err", err)
			return nil
		}
		return err
	}
	return nil
}

func (s *Syncer) syncSessionList(ctx context.Context, w *writer, stream string) error {
	in := s.Integration
	main, err := s.Store.Checkpoint(ctx, in.ID, stream)
	if err != nil {
		return err
	}
	walk, err := s.Store.Checkpoint(ctx, in.ID, stream+walkSuffix)
	if err != nil {
		return err
	}
	q := compliance.PageQuery{Limit: s.Settings.SessionPageSize, Page: walk.Cursor}
	since := main.HighWater
	if since.IsZero() && s.Settings.InitialLookback > 0 {
		since = s.Now().Add(-s.Settings.InitialLookback)
	}
	remote := stream == StreamRemoteSessions
	if !since.IsZero() {
		if remote {
			// No updated_at filter: re-list a trailing window of creations.
			q.CreatedAt.GTE = since.Add(-s.Settings.RemoteSessionWindow)
		} else {
			q.UpdatedAt.GTE = since.Add(-s.Settings.Overlap)
		}
	}
	newest := walk.HighWater
	for {
		refs, next, bad, err := s.sessionListPage(ctx, remote, q)
		if err != nil {
			return err
		}
		if err := s.quarantine(ctx, stream, bad); err != nil {
			return err
		}
		for _, r := range refs {
			if remote {
				newest = maxTime(newest, r.created)
			} else {
				newest = maxTime(newest, r.updated)
			}
		}
		cp := &store.Checkpoint{IntegrationID: in.ID, Stream: stream + walkSuffix, Cursor: deref(next), HighWater: newest}
		page, err := s.hydrateSessions(ctx, refs, cp)
		if err != nil {
			return err
		}
		if err := w.queue(ctx, store.Page{Chats: page}); err != nil {
			return err
		}
		if next == nil || *next == "" {
			break
		}
		q.Page = *next
	}
	if newest.IsZero() {
		return nil
	}
	done := &store.Checkpoint{IntegrationID: in.ID, Stream: stream, HighWater: maxTime(main.HighWater, newest)}
	return w.queue(ctx, store.Page{Chats: &store.ChatPage{IntegrationID: in.ID, Checkpoint: done}})
}

func (s *Syncer) sessionListPage(ctx context.Context, remote bool, q compliance.PageQuery) ([]sessionRef, *string, []compliance.Quarantined, error) {
	if remote {
		p, err := s.Client.RemoteSessionsPage(ctx, q)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("list remote sessions: %w", err)
		}
		refs := make([]sessionRef, 0, len(p.Data))
		for _, rs := range p.Data {
			r := sessionRef{id: rs.ID, orgUUID: rs.OrganizationUUID, surface: deref(rs.ProductSurface), projectID: deref(rs.ClaudeProjectID),
				created: rs.CreatedAt.Time, updated: rs.UpdatedAt.Time, remote: true}
			switch {
			case rs.User != nil:
				r.userID, r.email = rs.User.ID, email(deref(rs.User.EmailAddress))
			case rs.StartedByUser != nil:
				r.userID, r.email = rs.StartedByUser.ID, email(deref(rs.StartedByUser.EmailAddress))
			default:
				r.userID = deref(rs.AgentID)
			}
			refs = append(refs, r)
		}
		return refs, p.NextPage, p.Quarantined, nil
	}
	p, err := s.Client.LocalSessionsPage(ctx, q)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("list local sessions: %w", err)
	}
	refs := make([]sessionRef, 0, len(p.Data))
	for _, ls := range p.Data {
		r := sessionRef{id: ls.ID, orgUUID: ls.OrganizationUUID, userID: ls.User.ID, email: email(deref(ls.User.EmailAddress)),
			surface: deref(ls.ProductSurface), created: ls.CreatedAt.Time, updated: ls.CreatedAt.Time}
		if ls.UpdatedAt != nil {
			r.updated = ls.UpdatedAt.Time
		}
		refs = append(refs, r)
	}
	return refs, p.NextPage, p.Quarantined, nil
}

// hydrateSessions fetches the sessions' transcripts concurrently into a
// page of chats (a session is stored as a chat whose id says its kind).
func (s *Syncer) hydrateSessions(ctx context.Context, refs []sessionRef, cp *store.Checkpoint) (*store.ChatPage, error) {
	page := &store.ChatPage{IntegrationID: s.Integration.ID, Checkpoint: cp, Chats: make([]store.HydratedChat, len(refs))}
	errs := make([]error, len(refs))
	sem := make(chan struct{}, s.Settings.HydrateConcurrency)
	var wg sync.WaitGroup
	for i := range refs {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			msgs, err := s.transcript(ctx, refs[i])
			if compliance.IsNotFound(err) {
				// Pending remote sessions and expired local ones have no
				// transcript to serve: keep the session, try again next time.
				msgs, err = nil, nil
			}
			if err != nil {
				errs[i] = fmt.Errorf("session %s transcript: %w", refs[i].id, err)
				return
			}
			page.Chats[i] = sessionChat(refs[i], msgs)
		}(i)
	}
	wg.Wait()
	if err := firstError(ctx, errs); err != nil {
		return nil, err
	}
	for _, r := range refs {
		if r.userID != "" && strings.HasPrefix(r.userID, "user_") {
			page.Users = append(page.Users, store.User{ID: r.userID, Email: r.email, FirstSeen: r.created, LastSeen: r.updated})
		}
	}
	return page, nil
}

// transcript walks a session's messages in order. A walk whose page token
// expired starts over without a page, as the API asks.
func (s *Syncer) transcript(ctx context.Context, r sessionRef) ([]compliance.SessionMessage, error) {
	stream := StreamLocalSessions
	if r.remote {
		stream = StreamRemoteSessions
	}
	for restart := 0; ; restart++ {
		var all []compliance.SessionMessage
		seen := map[string]bool{}
		q := compliance.TranscriptQuery{Limit: s.Settings.TranscriptPageSize}
		for {
			data, next, bad, err := s.transcriptPage(ctx, r, q)
			if compliance.IsExpiredPageToken(err) && restart < transcriptRestarts {
				s.Log.Info("session page token expired; restarting the transcript walk", "session", r.id)
				break
			}
			if err != nil {
				return nil, err
			}
			if err := s.quarantine(ctx, stream+".messages", bad); err != nil {
				return nil, err
			}
			for _, m := range data {
				if !seen[m.ID] {
					seen[m.ID] = true
					all = append(all, m)
				}
			}
			if next == nil || *next == "" {
				return all, nil
			}
			q.Page = *next
		}
	}
}

func (s *Syncer) transcriptPage(ctx context.Context, r sessionRef, q compliance.TranscriptQuery) ([]compliance.SessionMessage, *string, []compliance.Quarantined, error) {
	if r.remote {
		p, err := s.Client.RemoteTranscriptPage(ctx, r.id, q)
		if err != nil {
			return nil, nil, nil, err
		}
		return p.Data, p.NextPage, p.Quarantined, nil
	}
	p, err := s.Client.LocalTranscriptPage(ctx, r.id, q)
	if err != nil {
		return nil, nil, nil, err
	}
	return p.Data, p.NextPage, p.Quarantined, nil
}

// sessionChat turns a session and its transcript into a stored chat.
// Messages made only of tool results get the role "tool", so the policies
// for text arriving through tools (prompt injection) apply to them.
func sessionChat(r sessionRef, msgs []compliance.SessionMessage) store.HydratedChat {
	sc := store.Chat{ID: r.id, UserID: r.userID, UserEmail: r.email, ProjectID: r.projectID, OrganizationUUID: r.orgUUID,
		CreatedAt: r.created, UpdatedAt: r.updated}
	hc := store.HydratedChat{Messages: make([]store.Message, 0, len(msgs))}
	first := ""
	for i := range msgs {
		m := &msgs[i]
		text := m.PlainText()
		role := m.Role
		if role == "user" && onlyToolResults(m.Content) {
			role = "tool"
		}
		if role == "user" && first == "" && m.Provenance == nil {
			first = text
		}
		sm := store.Message{ID: m.ID, ChatID: r.id, Seq: i, Role: role, Text: text, Model: deref(m.Model), UserID: r.userID,
			UserEmail: r.email, CreatedAt: m.CreatedAt.Time, Tokens: estimateTokens(text)}
		if sm.Model != "" {
			sc.Model = sm.Model
		}
		for _, b := range m.Content {
			if b.Type == compliance.BlockToolUse {
				sm.ToolCalls = append(sm.ToolCalls, store.ToolCall{ID: deref(b.ID), Name: b.Name, Input: b.Input})
			}
		}
		hc.Messages = append(hc.Messages, sm)
	}
	sc.Name = store.SurfaceLabel(r.surface, r.remote)
	if first != "" {
		sc.Name += ": " + oneLine(first, 80)
	}
	hc.Chat = sc
	return hc
}

func onlyToolResults(bs []compliance.ContentBlock) bool {
	if len(bs) == 0 {
		return false
	}
	for _, b := range bs {
		if b.Type != compliance.BlockToolResult {
			return false
		}
	}
	return true
}

// oneLine returns s's first line cut to n runes.
func oneLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
