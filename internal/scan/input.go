package scan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Mode says how an input is split into documents.
type Mode string

// Input modes. ModeAuto picks JSONL when the first non-empty line is a JSON
// object with a "text" string, and plain text otherwise.
const (
	ModeAuto  Mode = "auto"
	ModeJSONL Mode = "jsonl"
	ModeText  Mode = "text"
)

// ParseMode checks an --input value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case ModeAuto, ModeJSONL, ModeText:
		return m, nil
	}
	return "", fmt.Errorf("input mode %q: use auto, jsonl or text", s)
}

// ParseRole checks a role name.
func ParseRole(s string) (detect.Role, error) {
	r := detect.Role(strings.ToLower(strings.TrimSpace(s)))
	switch r {
	case detect.RoleUser, detect.RoleAssistant, detect.RoleTool, detect.RoleFile:
		return r, nil
	}
	return "", fmt.Errorf("role %q: use user, assistant, tool or file", s)
}

// Default size limits.
const (
	// DefaultMaxLineBytes bounds one JSONL line or one line in --lines mode.
	DefaultMaxLineBytes = 16 << 20
	// DefaultMaxDocumentBytes bounds a whole plain-text input scanned as one document.
	DefaultMaxDocumentBytes = 64 << 20
)

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	Mode Mode
	// Role is the role of plain-text documents and of JSONL rows without one.
	Role detect.Role
	// Lines makes each non-blank line of plain text its own document.
	Lines bool
	// MaxLineBytes and MaxDocumentBytes bound memory; zero means the defaults.
	MaxLineBytes     int
	MaxDocumentBytes int
}

// Document is one text to scan.
type Document struct {
	// Source names the input ("-" for stdin).
	Source string
	// Line is the 1-based line the document starts on.
	Line int
	// ID is the optional "id" of a JSONL row.
	ID   string
	Role detect.Role
	Text string
	// multiline is set for a whole plain-text input, whose findings are
	// located on the line they start on.
	multiline bool
}

// InputError is a problem with the input itself, located by line.
type InputError struct {
	Source string
	Line   int
	Msg    string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s: line %d: %s", e.Source, e.Line, e.Msg)
}

// Reader splits one input into documents, streaming JSONL and --lines input
// line by line so memory is bounded by the longest line.
type Reader struct {
	src  string
	opts ReaderOptions
	br   *bufio.Reader
	line int // lines consumed so far
	mode Mode
	// pending is the first non-empty line, read to detect the mode.
	pending     []byte
	pendingLine int
	prefix      []byte // blank lines before pending, kept for whole-text mode
	done        bool
}

// NewReader reads documents from r; name is used in documents and errors.
func NewReader(r io.Reader, name string, opts ReaderOptions) *Reader {
	if opts.Mode == "" {
		opts.Mode = ModeAuto
	}
	if opts.Role == "" {
		opts.Role = detect.RoleUser
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	if opts.MaxDocumentBytes <= 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	return &Reader{src: name, opts: opts, br: bufio.NewReaderSize(r, 64<<10)}
}

// Mode returns the mode in use; with ModeAuto it is known after the first Next.
func (r *Reader) Mode() Mode { return r.mode }

// Next returns the next document, or io.EOF after the last one. Errors
// about the input are *InputError values naming the line.
func (r *Reader) Next() (Document, error) {
	if r.done {
		return Document{}, io.EOF
	}
	if r.mode == "" {
		if err := r.detect(); err != nil {
			r.done = true
			return Document{}, err
		}
	}
	var (
		doc Document
		err error
	)
	switch {
	case r.mode == ModeJSONL:
		doc, err = r.nextJSONL()
	case r.opts.Lines:
		doc, err = r.nextLine()
	default:
		doc, err = r.whole()
		r.done = true
	}
	if err != nil {
		r.done = true
	}
	return doc, err
}

// detect reads up to the first non-empty line and settles the mode.
func (r *Reader) detect() error {
	for {
		raw, err := r.readLine()
		if err == io.EOF && raw == nil {
			r.mode = r.opts.Mode
			if r.mode == ModeAuto {
				r.mode = ModeText
			}
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			r.prefix = append(r.prefix, raw...)
			if err == io.EOF {
				r.mode = textIfAuto(r.opts.Mode)
				return nil
			}
			continue
		}
		r.pending, r.pendingLine = raw, r.line
		r.mode = r.opts.Mode
		if r.mode == ModeAuto {
			r.mode = ModeText
			if looksLikeJSONL(raw) {
				r.mode = ModeJSONL
			}
		}
		return nil
	}
}

func textIfAuto(m Mode) Mode {
	if m == ModeAuto {
		return ModeText
	}
	return m
}

// looksLikeJSONL reports whether a line is a JSON object with a "text" string.
func looksLikeJSONL(raw []byte) bool {
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	var row struct {
		Text *string `json:"text"`
	}
	return json.Unmarshal(b, &row) == nil && row.Text != nil
}

// readLine returns the next line with its terminator, counting lines. A
// line longer than MaxLineBytes is an error naming it.
func (r *Reader) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if len(line)+len(chunk) > r.opts.MaxLineBytes {
			r.line++
			return nil, &InputError{r.src, r.line, fmt.Sprintf("line is longer than %s; split the input or raise the limit", byteSize(r.opts.MaxLineBytes))}
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			r.line++
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			r.line++
			return line, io.EOF
		default:
			return nil, fmt.Errorf("read %s: %w", r.src, err)
		}
	}
}

// next returns the pending line first, then reads on; eof marks the last line.
func (r *Reader) next() (raw []byte, lineNo int, eof bool, err error) {
	if r.pending != nil {
		raw, lineNo = r.pending, r.pendingLine
		r.pending = nil
		return raw, lineNo, false, nil
	}
	raw, err = r.readLine()
	if err == io.EOF {
		return raw, r.line, true, nil
	}
	return raw, r.line, false, err
}

// jsonRow is one JSONL input row; other fields (label, source…) are ignored.
type jsonRow struct {
	Text *string         `json:"text"`
	Role string          `json:"role"`
	ID   json.RawMessage `json:"id"`
}

func (r *Reader) nextJSONL() (Document, error) {
	for {
		raw, n, eof, err := r.next()
		if err != nil {
			return Document{}, err
		}
		b := bytes.TrimSpace(raw)
		if len(b) == 0 {
			if eof {
				return Document{}, io.EOF
			}
			continue
		}
		doc, err := r.parseRow(b, n)
		if eof && err == nil {
			r.done = true
		}
		return doc, err
	}
}

func (r *Reader) parseRow(b []byte, n int) (Document, error) {
	if i := invalidUTF8(b); i >= 0 {
		return Document{}, &InputError{r.src, n, fmt.Sprintf("invalid UTF-8 at byte %d of the line; claudit scans UTF-8 text", i+1)}
	}
	var row jsonRow
	if err := json.Unmarshal(b, &row); err != nil {
		return Document{}, &InputError{r.src, n, fmt.Sprintf("invalid JSON (%v); each line must be an object like {\"text\": \"...\", \"role\": \"user\"}, or pass --input text", jsonReason(err))}
	}
	if row.Text == nil {
		return Document{}, &InputError{r.src, n, `no "text" string; each line must be an object like {"text": "...", "role": "user"}`}
	}
	role := r.opts.Role
	if row.Role != "" {
		var err error
		if role, err = ParseRole(row.Role); err != nil {
			return Document{}, &InputError{r.src, n, err.Error()}
		}
	}
	return Document{Source: r.src, Line: n, ID: rowID(row.ID), Role: role, Text: *row.Text}, nil
}

// jsonReason shortens json errors; json.Unmarshal's are already one line.
func jsonReason(err error) string {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field != "" {
			return fmt.Sprintf("field %q must not be a JSON %s", ute.Field, ute.Value)
		}
		return "the line is a JSON " + ute.Value + ", not an object"
	}
	return err.Error()
}

func rowID(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func (r *Reader) nextLine() (Document, error) {
	for {
		raw, n, eof, err := r.next()
		if err != nil {
			return Document{}, err
		}
		text := strings.TrimRight(string(raw), "\r\n")
		if strings.TrimSpace(text) == "" {
			if eof {
				return Document{}, io.EOF
			}
			continue
		}
		if i := invalidUTF8([]byte(text)); i >= 0 {
			return Document{}, &InputError{r.src, n, fmt.Sprintf("invalid UTF-8 at byte %d of the line; claudit scans UTF-8 text", i+1)}
		}
		if eof {
			r.done = true
		}
		return Document{Source: r.src, Line: n, Role: r.opts.Role, Text: text}, nil
	}
}

// whole reads the rest of the input as one document.
func (r *Reader) whole() (Document, error) {
	var buf bytes.Buffer
	buf.Write(r.prefix)
	if r.pending != nil {
		buf.Write(r.pending)
		r.pending = nil
	}
	limit := int64(r.opts.MaxDocumentBytes)
	if _, err := io.Copy(&buf, io.LimitReader(r.br, limit-int64(buf.Len())+1)); err != nil {
		return Document{}, fmt.Errorf("read %s: %w", r.src, err)
	}
	if int64(buf.Len()) > limit {
		return Document{}, fmt.Errorf("%s: input is larger than %s; scan it with --lines or split it", r.src, byteSize(r.opts.MaxDocumentBytes))
	}
	b := buf.Bytes()
	if i := invalidUTF8(b); i >= 0 {
		line := 1 + bytes.Count(b[:i], []byte{'\n'})
		col := i - bytes.LastIndexByte(b[:i], '\n')
		return Document{}, &InputError{r.src, line, fmt.Sprintf("invalid UTF-8 at byte %d of the line; claudit scans UTF-8 text", col)}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return Document{}, io.EOF
	}
	return Document{Source: r.src, Line: 1, Role: r.opts.Role, Text: string(b), multiline: true}, nil
}

// invalidUTF8 returns the offset of the first invalid byte, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

func byteSize(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.Itoa(n>>20) + " MiB"
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}
