package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// BackfillView is a backfill with its progress in percent.
type BackfillView struct {
	store.Backfill
	Percent int `json:"percent"`
}

func viewBackfill(b store.Backfill) BackfillView {
	v := BackfillView{Backfill: b, Percent: pct(b.BatchesDone, b.Batches)}
	if b.Status == store.BackfillDone {
		v.Percent = 100
	}
	return v
}

func (s *Server) startBackfill(ctx context.Context, iid int64, fromS, toS string) (*store.Backfill, error) {
	if s.cfg.Control == nil {
		return nil, badf("backfills are not available in this build")
	}
	if _, err := s.st.IntegrationByID(ctx, iid); err != nil {
		return nil, err
	}
	// A date alone starts at midnight (from) or takes the whole day (to);
	// a time of day is exact. Both are read in the account's zone on pages
	// and in UTC in the API, unless they carry an offset.
	loc := locFrom(ctx)
	from, err := parseWhen(loc, fromS, false)
	if err != nil {
		return nil, badf("from: %v", err)
	}
	to, err := parseWhen(loc, toS, true)
	if err != nil {
		return nil, badf("to: %v", err)
	}
	if from.IsZero() || to.IsZero() {
		return nil, badf("give both from and to: a date (2025-03-01) or a date and time (2025-03-01 14:30)")
	}
	now := s.now()
	if !from.Before(now) {
		return nil, badf("from (%s) is in the future: nothing to import yet", from.In(loc).Format(isoTime))
	}
	if !to.After(from) {
		return nil, badf("the range is empty: to (%s) must be after from (%s)", to.In(loc).Format(isoTime), from.In(loc).Format(isoTime))
	}
	if to.After(now) {
		to = now.UTC().Truncate(time.Second)
	}
	return s.cfg.Control.StartBackfill(ctx, iid, from, to)
}

func (s *Server) backfillAction(ctx context.Context, bid int64, action string) (*store.Backfill, error) {
	b, err := s.st.Backfill(ctx, bid)
	if err != nil {
		return nil, err
	}
	var status string
	switch action {
	case "pause":
		if b.Status != store.BackfillRunning && b.Status != store.BackfillPending {
			return nil, badf("backfill %d is %s: only a running job can be paused", bid, b.Status)
		}
		status = store.BackfillPaused
	case "resume":
		if b.Status != store.BackfillPaused && b.Status != store.BackfillFailed {
			return nil, badf("backfill %d is %s: only a paused or failed job can be resumed", bid, b.Status)
		}
		status = store.BackfillRunning
	case "cancel":
		if b.Status == store.BackfillDone || b.Status == store.BackfillCancelled {
			return nil, badf("backfill %d is already %s", bid, b.Status)
		}
		status = store.BackfillCancelled
	default:
		return nil, badf("action %q: use pause, resume or cancel", action)
	}
	if err := s.st.SetBackfillStatus(ctx, bid, status, ""); err != nil {
		return nil, err
	}
	if action == "resume" {
		if rs, ok := s.cfg.Control.(BackfillResumer); ok {
			if err := rs.ResumeBackfill(ctx, bid); err != nil {
				return nil, err
			}
		}
	}
	return s.st.Backfill(ctx, bid)
}

func (s *Server) apiBackfills(w http.ResponseWriter, r *http.Request) error {
	var iid int64
	if v := r.URL.Query().Get("integration"); v != "" {
		var err error
		if iid, err = s.integrationParam(r.Context(), v); err != nil {
			return err
		}
	}
	bs, err := s.st.Backfills(r.Context(), iid)
	if err != nil {
		return err
	}
	out := make([]BackfillView, 0, len(bs))
	for _, b := range bs {
		out = append(out, viewBackfill(b))
	}
	writeJSON(w, http.StatusOK, map[string]any{"backfills": out})
	return nil
}

func (s *Server) apiBackfill(w http.ResponseWriter, r *http.Request) error {
	bid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	b, err := s.st.Backfill(r.Context(), bid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewBackfill(*b))
	return nil
}

func (s *Server) apiBatches(w http.ResponseWriter, r *http.Request) error {
	bid, err := parseID(r.PathValue("id"))
	if err != nil {
		return err
	}
	bs, err := s.st.Batches(r.Context(), bid)
	if err != nil {
		return err
	}
	if bs == nil {
		bs = []store.Batch{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": bs})
	return nil
}

func (s *Server) apiBackfillCreate(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		IntegrationID int64  `json:"integration_id"`
		From          string `json:"from"`
		To            string `json:"to"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	b, err := s.startBackfill(r.Context(), body.IntegrationID, body.From, body.To)
	if err != nil {
		return err
	}
	s.audit(r, "create", "backfill", strconv.FormatInt(b.ID, 10), fmt.Sprintf("integration %d %s..%s", body.IntegrationID, body.From, body.To))
	writeJSON(w, http.StatusCreated, viewBackfill(*b))
	return nil
}

func (s *Server) apiBackfillAction(w http.ResponseWriter, r *http.Request) error {
	b, err := s.backfillActionAt(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewBackfill(*b))
	return nil
}

func (s *Server) backfillCreateSubmit(w http.ResponseWriter, r *http.Request) error {
	iid, err := parseID(r.PostFormValue("integration_id"))
	if err != nil {
		return err
	}
	b, err := s.startBackfill(r.Context(), iid, r.PostFormValue("from"), r.PostFormValue("to"))
	if err != nil {
		return err
	}
	s.audit(r, "create", "backfill", strconv.FormatInt(b.ID, 10), fmt.Sprintf("integration %d %s..%s", iid, r.PostFormValue("from"), r.PostFormValue("to")))
	s.setFlash(w, fmt.Sprintf("Backfill %d started: %d batches.", b.ID, b.Batches))
	http.Redirect(w, r, fmt.Sprintf("/integrations/%d?tab=backfill", iid), http.StatusSeeOther)
	return nil
}

// backfillActionAt applies the action of the request's path to the
// backfill it names and audits it, for the API and the form alike.
func (s *Server) backfillActionAt(r *http.Request) (*store.Backfill, error) {
	bid, err := parseID(r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	b, err := s.backfillAction(r.Context(), bid, r.PathValue("action"))
	if err != nil {
		return nil, err
	}
	s.audit(r, r.PathValue("action"), "backfill", r.PathValue("id"), "")
	return b, nil
}

func (s *Server) backfillActionSubmit(w http.ResponseWriter, r *http.Request) error {
	b, err := s.backfillActionAt(r)
	if err != nil {
		return err
	}
	s.setFlash(w, fmt.Sprintf("Backfill %d is %s.", b.ID, b.Status))
	http.Redirect(w, r, fmt.Sprintf("/integrations/%d?tab=backfill", b.IntegrationID), http.StatusSeeOther)
	return nil
}
