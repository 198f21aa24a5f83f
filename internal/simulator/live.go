package simulator

import (
	"context"
	"time"
)

// RunLive generates new activity every LiveInterval until ctx is cancelled.
// ListenAndServe runs it when Config.Live is set; tests may call LiveTick directly.
func (s *Server) RunLive(ctx context.Context) {
	t := time.NewTicker(s.cfg.LiveInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.LiveTick()
		}
	}
}

// LiveTick makes one round of new activity with created_at = now: new chats,
// new messages in recent chats, and sign-ins.
func (s *Server) LiveTick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, rng := s.st, s.rng
	// Chats begun just before the generated history's end run on past it, so
	// live activity starts after the latest message: a sync's updated_at
	// cursor could otherwise be ahead of it.
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, c := range st.chatList {
		if !c.updatedAt.Before(now) {
			now = c.updatedAt.Add(time.Second)
		}
	}
	vis := s.visibleAt()
	for range 1 + rng.IntN(3) {
		u := pick(rng, st.users)
		switch p := rng.Float64(); {
		case p < 0.4 || len(st.chatList) == 0:
			c := &chat{id: newID(rng, "claude_chat_"), uuid: newUUID(rng), org: u.org, user: u,
				model: pick(rng, st.corp.Models), topic: rng.IntN(len(st.corp.Topics))}
			c.name = pick(rng, st.corp.Topics[c.topic].Titles)
			s.addTurn(c, now.Add(-2*time.Second), now, kPrompt)
			c.createdAt = c.msgs[0].at
			st.chatList = append(st.chatList, c)
			st.chats[c.id] = c
			st.chatsChanged()
			st.addChatActivity(rng, c, "claude_chat_created", c.createdAt, vis)
			st.addChatActivity(rng, c, "claude_chat_viewed", c.createdAt.Add(time.Second), vis)
		case p < 0.8:
			recent := st.chatList[max(0, len(st.chatList)-50):]
			c := pick(rng, recent)
			if c.deletedAt != nil || !now.After(c.updatedAt) {
				continue
			}
			s.addTurn(c, now.Add(-time.Second), now, kFollowup)
			st.addChatActivity(rng, c, "claude_chat_updated", now.Add(-time.Second), vis)
		default:
			r := newRecord(newID(rng, "activity_"), now, nil, userActor(u, u.ip, u.ua), "sso_login_succeeded",
				[]kv{{"auth_method", "sso"}, {"mfa_method", nil}})
			r.visible = vis
			st.insert(r)
		}
	}
}

// addTurn appends a user message at ut and the assistant's answer at at.
func (s *Server) addTurn(c *chat, ut, at time.Time, kind msgKind) {
	rng := s.rng
	if rng.Float64() < 0.12 {
		kind = pick(rng, riskyKinds)
	}
	um := &message{id: newID(rng, "claude_chat_msg_"), role: "user", at: ut, seed: rng.Uint64(), kind: kind}
	am := &message{id: newID(rng, "claude_chat_msg_"), role: "assistant", at: at, seed: rng.Uint64(), kind: kAnswer, tools: rng.IntN(7) == 0}
	switch kind {
	case kInjection, kToxic:
		am.kind = kRefusal
	case kPII, kSecret:
		am.kind = kRiskyAnswer
	}
	s.st.appendMessage(c, um)
	s.st.appendMessage(c, am)
}
