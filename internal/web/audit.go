package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// audit records what the request's account viewed or changed. A failure to
// record is logged, never shown: the page still answers.
func (s *Server) audit(r *http.Request, action, object, objectID, detail string) {
	s.auditAs(r.Context(), identityFrom(r), clientIP(r), action, object, objectID, detail)
}

func (s *Server) auditAs(ctx context.Context, id *identity, ip, action, object, objectID, detail string) {
	e := &store.AuditEntry{At: s.now(), Action: action, Object: object, ObjectID: truncate(objectID, 300), Detail: truncate(detail, 1000), IP: ip}
	if id != nil {
		e.AccountID, e.Actor, e.Role = id.Account.ID, id.Account.Email, id.Account.Role
	}
	if err := s.ws.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		s.log.Error("record audit entry", "action", action, "object", object, "err", err)
	}
}

func parseAuditFilter(loc *time.Location, q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), ObjectID: q.Get("object_id")}
	var err error
	if f.Query, err = searchText(q); err != nil {
		return f, err
	}
	if f.From, err = parseWhen(loc, q.Get("from"), false); err != nil {
		return f, err
	}
	if f.To, err = parseWhen(loc, q.Get("to"), true); err != nil {
		return f, err
	}
	if v := q.Get("before"); v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return f, badf("before %q: use an audit entry id", v)
		}
	}
	f.Limit = 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return f, badf("limit %q: use 1 to 1000", v)
		}
		f.Limit = n
	}
	return f, nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	f, err := parseAuditFilter(locFrom(r.Context()), r.URL.Query())
	if err != nil {
		return err
	}
	es, err := s.ws.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	next := ""
	if len(es) == f.Limit {
		next = strconv.FormatInt(es[len(es)-1].ID, 10)
	}
	if es == nil {
		es = []store.AuditEntry{}
	}
	s.audit(r, "view", "audit", "", r.URL.RawQuery)
	writeJSON(w, http.StatusOK, map[string]any{"entries": es, "next_before": next})
	return nil
}

type auditData struct {
	Entries []store.AuditEntry
	Query   url.Values
	Next    string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := parseAuditFilter(locFrom(r.Context()), q)
	if err != nil {
		return err
	}
	es, err := s.ws.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	d := auditData{Entries: es, Query: q}
	if len(es) == f.Limit {
		d.Next = qset(q, "before", strconv.FormatInt(es[len(es)-1].ID, 10))
	}
	s.audit(r, "view", "audit", "", r.URL.RawQuery)
	s.render(w, r, http.StatusOK, "audit.html", &pageData{Title: "Access audit", Nav: "audit", Data: d})
	return nil
}

// auditExport streams the matching audit entries as CSV, JSON or JSONL.
func (s *Server) auditExport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f, err := parseAuditFilter(locFrom(r.Context()), q)
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	ct := map[string]string{"csv": "text/csv; charset=utf-8", "json": "application/json", "jsonl": "application/x-ndjson"}[format]
	if ct == "" {
		return errFormat
	}
	s.audit(r, "export", "audit", "", r.URL.RawQuery)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="claudit-audit-%s.%s"`, s.now().UTC().Format("20060102-150405"), format))
	cw := csv.NewWriter(w)
	if format == "csv" {
		cw.Write([]string{"id", "at", "actor", "role", "action", "object", "object_id", "detail", "ip"})
	}
	if format == "json" {
		w.Write([]byte("["))
	}
	f.Limit = 1000
	n := 0
	for {
		es, err := s.ws.AuditLog(r.Context(), f)
		if err != nil {
			s.log.Error("export audit", "err", err)
			return nil
		}
		for _, e := range es {
			switch format {
			case "csv":
				cw.Write([]string{strconv.FormatInt(e.ID, 10), e.At.UTC().Format(time.RFC3339Nano), e.Actor, e.Role, e.Action, e.Object,
					csvCell(e.ObjectID), csvCell(e.Detail), e.IP})
			default:
				b, _ := json.Marshal(e)
				if format == "json" && n > 0 {
					w.Write([]byte(","))
				}
				w.Write(b)
				w.Write([]byte("\n"))
			}
			n++
		}
		if len(es) < f.Limit {
			break
		}
		f.BeforeID = es[len(es)-1].ID
	}
	if format == "json" {
		w.Write([]byte("]\n"))
	}
	cw.Flush()
	return nil
}

// csvCell defuses spreadsheet formulas in user-controlled cells.
func csvCell(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
