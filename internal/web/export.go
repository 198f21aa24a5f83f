package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/claudit/claudit/internal/export"
	"github.com/claudit/claudit/internal/store"
)

var exportTypes = map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json", "jsonl": "application/x-ndjson"}

// exportEvents streams the events matching the filter as CSV, JSON or JSONL
// (format=…), page by page; viewers get the redacted text.
func (s *Server) exportEvents(w http.ResponseWriter, r *http.Request) error {
	id := identityFrom(r)
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	ct, ok := exportTypes[format]
	if !ok {
		return errFormat
	}
	f, err := s.parseFilter(r.Context(), q)
	if err != nil {
		return err
	}
	view, err := eventView(q, "messages")
	if err != nil {
		return err
	}
	f.Cursor, f.Limit = "", 500
	s.audit(r, "export", "events", "", "format="+format+" view="+view+" "+filterQuery(q).Encode())
	kind := f.Kind
	if kind == "" {
		kind = "events"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="claudit-%s-%s.%s"`, kind, s.now().UTC().Format("20060102-150405"), format))
	enc, err := export.NewEncoder(w, format)
	if err != nil {
		return err
	}
	switch {
	case view == "interactions" && (f.Kind == "" || f.Kind == "prompt"):
		f.Kind = "prompt"
		err = s.streamInteractions(r.Context(), id, f, enc)
	case id.redacted():
		err = s.streamRedacted(r.Context(), f, enc)
	default:
		err = export.Stream(r.Context(), s.st, f, enc)
	}
	if err != nil {
		// Headers are gone: the truncated file is the signal; log the cause.
		s.log.Error("export events", "err", err)
		return nil
	}
	if err := enc.Close(); err != nil {
		s.log.Warn("export events: client went away", "err", err)
	}
	return nil
}

// streamInteractions exports prompt events as interactions, oldest first,
// each once: a prompt and its response can fall on two pages, so the keys of
// the previous page are remembered. Viewers get both halves redacted.
func (s *Server) streamInteractions(ctx context.Context, id *identity, f store.EventFilter, enc *export.Encoder) error {
	f.Ascending = true
	prev := map[string]bool{}
	for {
		page, next, err := s.st.PromptEvents(ctx, f)
		if err != nil {
			return err
		}
		if id.redacted() && f.Query != "" {
			if err := s.redactPage(ctx, page); err != nil {
				return err
			}
			page, _, _ = visibleResults(page, nil, nil, f.Query)
		}
		its, _, err := s.interactionsOf(ctx, id, page)
		if err != nil {
			return err
		}
		cur := make(map[string]bool, len(its))
		for _, it := range its {
			key := fmt.Sprintf("%d/%s/%s", it.IntegrationID, it.ChatID, it.ID)
			if prev[key] {
				continue
			}
			cur[key] = true
			if err := enc.Write(export.FromInteraction(it.Prompt, it.Response)); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		prev, f.Cursor = cur, next
	}
}

// streamRedacted is export.Stream with each page masked for a viewer.
func (s *Server) streamRedacted(ctx context.Context, f store.EventFilter, enc *export.Encoder) error {
	f.Ascending = true
	if f.Kind == "" || f.Kind == "prompt" {
		g := f
		for {
			page, next, err := s.st.PromptEvents(ctx, g)
			if err != nil {
				return err
			}
			if err := s.redactPage(ctx, page); err != nil {
				return err
			}
			if f.Query != "" {
				page, _, _ = visibleResults(page, nil, nil, f.Query)
			}
			for _, m := range page {
				if err := enc.Write(export.FromMessage(m)); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			g.Cursor = next
		}
	}
	if (f.Kind == "" || f.Kind == "access") && f.Model == "" && f.Role == "" && f.Query == "" {
		g := f
		for {
			page, next, err := s.st.AccessEvents(ctx, g)
			if err != nil {
				return err
			}
			for i := range page {
				redactActivity(&page[i])
				if err := enc.Write(export.FromActivity(page[i])); err != nil {
					return err
				}
			}
			if next == "" {
				break
			}
			g.Cursor = next
		}
	}
	return nil
}

func (s *Server) redactPage(ctx context.Context, ms []store.Message) error {
	refs := make([]store.EventRef, len(ms))
	for i, m := range ms {
		refs[i] = store.EventRef{IntegrationID: m.IntegrationID, ID: m.ID}
	}
	fs, err := s.ws.EventFindings(ctx, "prompt", refs)
	if err != nil {
		return err
	}
	extra, err := s.chatSecrets(ctx, ms)
	if err != nil {
		return err
	}
	redactMessages(ms, fs, extra)
	return nil
}
