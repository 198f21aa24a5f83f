package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/compliance"
)

// parseLimit reads limit with the endpoint's default and maximum.
func parseLimit(q url.Values, def, maxLimit int) (int, string) {
	v := q.Get("limit")
	if v == "" {
		return def, ""
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, "limit: Input should be a valid integer, unable to parse string as an integer"
	}
	if n < 1 {
		return 0, "limit: Input should be greater than or equal to 1"
	}
	if n > maxLimit {
		return 0, fmt.Sprintf("limit: Input should be less than or equal to %d", maxLimit)
	}
	return n, ""
}

// window is a half-open or closed time range from created_at.* or updated_at.*.
type window struct {
	gte, gt, lte, lt time.Time
	set              bool
}

func (wd window) contains(t time.Time) bool {
	if !wd.gte.IsZero() && t.Before(wd.gte) {
		return false
	}
	if !wd.gt.IsZero() && !t.After(wd.gt) {
		return false
	}
	if !wd.lte.IsZero() && t.After(wd.lte) {
		return false
	}
	if !wd.lt.IsZero() && !t.Before(wd.lt) {
		return false
	}
	return true
}

// parseWindow reads field.gte/.gt/.lte/.lt as RFC 3339 with an offset.
func parseWindow(q url.Values, field string) (window, string) {
	var wd window
	for _, op := range []string{"gte", "gt", "lte", "lt"} {
		name := field + "." + op
		v, ok := q[name]
		if !ok {
			continue
		}
		t, msg := parseFilterTime(name, v[0])
		if msg != "" {
			return wd, msg
		}
		wd.set = true
		switch op {
		case "gte":
			wd.gte = t
		case "gt":
			wd.gt = t
		case "lte":
			wd.lte = t
		case "lt":
			wd.lt = t
		}
	}
	return wd, ""
}

func parseFilterTime(name, v string) (time.Time, string) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		if fractionDigits(v) > 6 {
			return time.Time{}, name + ": Input should be a valid datetime, fractional seconds have at most 6 digits (microseconds)"
		}
		return t.UTC(), ""
	}
	if _, err := time.Parse("2006-01-02T15:04:05.999999999", v); err == nil {
		return time.Time{}, name + ": Input should have timezone info"
	}
	if len(v) < 4 || strings.IndexFunc(v[:4], func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return time.Time{}, name + ": Input should be a valid datetime or date, invalid character in year"
	}
	return time.Time{}, fmt.Sprintf("%s: Input should be a valid datetime or date, input is too short or has an invalid format; got %q", name, v)
}

// fractionDigits counts the digits after the seconds' decimal point of an
// RFC 3339 timestamp (0 when there is none).
func fractionDigits(v string) int {
	i := strings.IndexByte(v, '.')
	if i < 0 {
		return 0
	}
	n := 0
	for _, c := range v[i+1:] {
		if c < '0' || c > '9' {
			break
		}
		n++
	}
	return n
}

// activityFilter is a parsed feed query.
type activityFilter struct {
	types, excl map[string]bool
	actors      map[string]bool
	orgs        map[string]bool
	created     window
	now         time.Time
}

func (f *activityFilter) match(r *record) bool {
	if !r.visible.IsZero() && f.now.Before(r.visible) {
		return false
	}
	if f.types != nil && !f.types[r.typ] {
		return false
	}
	if f.excl != nil && f.excl[r.typ] {
		return false
	}
	if f.actors != nil && !f.actors[r.userID] {
		return false
	}
	if f.orgs != nil && !f.orgs[r.orgTag] && !f.orgs[r.orgUUID] {
		return false
	}
	return true
}

func setOf(xs []string) map[string]bool {
	if len(xs) == 0 {
		return nil
	}
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func (s *Server) listActivities(w http.ResponseWriter, r *http.Request, q url.Values, _ []string) {
	types, excl := q["activity_types[]"], q["exclude_activity_types[]"]
	if len(types) > 0 && len(excl) > 0 {
		badRequest(s, w, r, "activity_types[] and exclude_activity_types[] cannot be combined; pass one or the other.")
		return
	}
	for name, list := range map[string][]string{"activity_types[]": types, "exclude_activity_types[]": excl} {
		for i, t := range list {
			if _, ok := compliance.LookupActivityType(t); !ok {
				badRequest(s, w, r, fmt.Sprintf("%s.%d: Input is not one of the permitted values.", name, i))
				return
			}
		}
	}
	limit, msg := parseLimit(q, 100, 5000)
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	if msg := orderError(q); msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	asc := q.Get("order") == "asc"
	after, before := q.Get("after_id"), q.Get("before_id")
	if q.Has("after_id") && q.Has("before_id") {
		badRequest(s, w, r, "Only one of after_id and before_id may be set.")
		return
	}
	created, msg := parseWindow(q, "created_at")
	if msg != "" {
		badRequest(s, w, r, msg)
		return
	}
	f := &activityFilter{types: setOf(types), excl: setOf(excl), orgs: setOf(q["organization_ids[]"]),
		actors: setOf(append(q["actor_ids[]"], q["user_ids[]"]...)), created: created, now: time.Now()}

	s.mu.RLock()
	feed := s.st.feed
	lo, hi := 0, len(feed)
	if !created.gte.IsZero() {
		lo = max(lo, sort.Search(len(feed), func(i int) bool { return !feed[i].at.Before(created.gte) }))
	}
	if !created.gt.IsZero() {
		lo = max(lo, sort.Search(len(feed), func(i int) bool { return feed[i].at.After(created.gt) }))
	}
	if !created.lte.IsZero() {
		hi = min(hi, sort.Search(len(feed), func(i int) bool { return feed[i].at.After(created.lte) }))
	}
	if !created.lt.IsZero() {
		hi = min(hi, sort.Search(len(feed), func(i int) bool { return !feed[i].at.Before(created.lt) }))
	}
	cursor, param := after, "after_id"
	if q.Has("before_id") {
		cursor, param = before, "before_id"
	}
	pos := -1
	if q.Has(param) {
		if !strings.HasPrefix(cursor, "activity_") || len(cursor) < len("activity_")+4 {
			s.mu.RUnlock()
			badRequest(s, w, r, fmt.Sprintf("Invalid activity_id format: '%s'", cursor))
			return
		}
		rec, ok := s.st.feedByID[cursor]
		if !ok {
			s.mu.RUnlock()
			badRequest(s, w, r, fmt.Sprintf("Invalid `%s`. No activity found for `%s` \"%s\"", param, param, cursor))
			return
		}
		pos = sort.Search(len(feed), func(i int) bool { return !recordLess(feed[i], rec) })
	}
	// Walk the ascending index in the direction that yields the page.
	// "older" is toward lower indexes.
	towardOlder := !asc
	start := hi - 1
	if asc {
		start = lo
	}
	reverse := false
	if pos >= 0 {
		isAfter := param == "after_id"
		if isAfter == asc { // newer than the cursor
			towardOlder, start = false, max(pos+1, lo)
		} else {
			towardOlder, start = true, min(pos-1, hi-1)
		}
		// before_id pages hold the items adjacent to the cursor, shown in result order.
		reverse = !isAfter
	}
	page := make([]*record, 0, min(limit+1, 1024))
	if towardOlder {
		for i := start; i >= lo && len(page) <= limit; i-- {
			if f.match(feed[i]) {
				page = append(page, feed[i])
			}
		}
	} else {
		for i := start; i < hi && len(page) <= limit; i++ {
			if f.match(feed[i]) {
				page = append(page, feed[i])
			}
		}
	}
	s.mu.RUnlock()
	hasMore := len(page) > limit
	if hasMore {
		page = page[:limit]
	}
	if reverse {
		for i, j := 0, len(page)-1; i < j; i, j = i+1, j-1 {
			page[i], page[j] = page[j], page[i]
		}
	}
	writeActivityPage(w, page, hasMore)
}

func writeActivityPage(w http.ResponseWriter, page []*record, hasMore bool) {
	n := 64
	for _, r := range page {
		n += len(r.js) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"data":[`...)
	for i, r := range page {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, r.js...)
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, hasMore)
	b = append(b, `,"first_id":`...)
	if len(page) == 0 {
		b = append(b, `null,"last_id":null}`...)
	} else {
		b = appendString(b, page[0].id)
		b = append(b, `,"last_id":`...)
		b = appendString(b, page[len(page)-1].id)
		b = append(b, '}')
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

// recordAccess appends the compliance_api_accessed activity the service records per request.
func (s *Server) recordAccess(r *http.Request, rid string, status int, kind keyKind) {
	if status == 0 {
		status = http.StatusOK
	}
	keyID := "apikey_01CLAUDITsimulator00000000"
	if kind == keyAdmin {
		keyID = "apikey_01CLAUDITsimulatorAdmin000"
	}
	ip := r.RemoteAddr
	if i := strings.LastIndexByte(ip, ':'); i > 0 {
		ip = strings.Trim(ip[:i], "[]")
	}
	actor := encodeActor([]kv{{"type", compliance.ActorAPI}, {"api_key_id", keyID}, {"ip_address", ip}, {"user_agent", r.UserAgent()}}, "")
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := newRecord(newID(s.rng, "activity_"), time.Now(), nil, actor, "compliance_api_accessed",
		[]kv{{"request_id", rid}, {"request_method", r.Method}, {"status_code", status},
			{"url", "https://api.anthropic.com" + r.URL.RequestURI()}, {"request_body", nil}})
	rec.visible = s.visibleAt()
	s.st.insert(rec)
}
