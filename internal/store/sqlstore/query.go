package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/claudit/claudit/internal/store"
)

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func jsonQuoted(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// likeEscaper escapes LIKE's wildcards and its escape character, for
// patterns used with ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// containing is the LIKE pattern (with ESCAPE '\') matching any text that
// contains s literally: a "%" typed in a search box is a percent sign.
func containing(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

func order(alias string, asc bool) string {
	if asc {
		return " ORDER BY " + alias + ".created_at ASC, " + alias + ".id ASC"
	}
	return " ORDER BY " + alias + ".created_at DESC, " + alias + ".id DESC"
}

func limitOf(f store.EventFilter) int {
	if f.Limit <= 0 || f.Limit > 10000 {
		return 100
	}
	return f.Limit
}

// multiRowInsert returns prefix followed by n groups of cols placeholders
// and suffix.
func multiRowInsert(prefix string, cols, n int, suffix string) string {
	group := "(" + strings.Repeat("?, ", cols-1) + "?)"
	var b strings.Builder
	b.Grow(len(prefix) + n*(len(group)+1) + len(suffix))
	b.WriteString(prefix)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(group)
	}
	b.WriteString(suffix)
	return b.String()
}

func encodeJSONList[T any](v []T) string {
	if len(v) == 0 {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func decodeJSONList[T any](s string) []T {
	if s == "" {
		return nil
	}
	var v []T
	_ = json.Unmarshal([]byte(s), &v)
	return v
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(us(t), 10) + ":" + id))
}

func decodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, "", fmt.Errorf("invalid cursor")
	}
	ts, id, ok := strings.Cut(string(b), ":")
	if !ok {
		return 0, "", fmt.Errorf("invalid cursor")
	}
	v, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("invalid cursor")
	}
	return v, id, nil
}

// scanner reads one row: *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryer runs a query: a pool or a transaction.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryRows runs query on q and reads every row with scan: the one loop
// of query, scan, append and rows.Err the store's lists share. It returns
// nil when no row matches.
func queryRows[T any](ctx context.Context, q queryer, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryPage reads one page of a keyset-paginated list. query must end in
// LIMIT ?, which it binds to limit+1: when that extra row comes back, the
// page is cut to limit and next is the cursor of its last row ("" at the
// end). The page is never nil, so an empty one encodes as [].
func queryPage[T any](ctx context.Context, q queryer, scan func(scanner) (T, error), cursor func(T) string, limit int, query string, args ...any) (page []T, next string, err error) {
	page, err = queryRows(ctx, q, scan, query, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	if len(page) > limit {
		page = page[:limit]
		next = cursor(page[limit-1])
	}
	if page == nil {
		page = []T{}
	}
	return page, next, nil
}

// value adapts a scan function that returns a pointer (and ErrNotFound for
// a missing row) to queryRows, which lists values.
func value[T any](scan func(scanner) (*T, error)) func(scanner) (T, error) {
	return func(r scanner) (T, error) {
		p, err := scan(r)
		if err != nil {
			var zero T
			return zero, err
		}
		return *p, nil
	}
}
