// Package ocsf is the OCSF sink (type "ocsf"): every delivery as one JSON
// line in the Open Cybersecurity Schema Framework (version SchemaVersion),
// written to a file, stdout or an HTTP collector.
//
// Mapping: an alert becomes a Detection Finding (2004), or a Data Security
// Finding (2006) when its detector finds personal data or secrets. A prompt
// event becomes API Activity (6003). An access event becomes Authentication
// (3002) for logins and logouts, Account Change (3001) for role, key and
// user changes, and API Activity otherwise. What OCSF has no attribute for
// goes into unmapped.
package ocsf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"

	"github.com/claudit/claudit/internal/alert/sink"
)

// Type is the sink type name in the configuration.
const Type = "ocsf"

func init() {
	sink.Register(Type, func(c sink.Config) (sink.Sink, error) { return New(c) })
}

// Sink writes OCSF JSON lines.
type Sink struct {
	name string
	enc  Encoder

	path string // file output

	url    string // http output
	header http.Header
	client *http.Client

	mu sync.Mutex // one writer at a time keeps lines whole
	w  io.Writer  // stdout output, or a writer given to NewWriter
}

// New builds an OCSF sink from cfg.OCSF.
func New(cfg sink.Config) (*Sink, error) {
	oc := cfg.OCSF
	if oc == nil {
		return nil, errors.New("missing ocsf settings")
	}
	s := &Sink{name: cfg.Name, enc: encoder(cfg)}
	switch oc.Output {
	case "file":
		if oc.Path == "" {
			return nil, errors.New("ocsf output file needs path")
		}
		s.path = oc.Path
	case "stdout":
		s.w = os.Stdout
	case "http":
		if err := sink.CheckURL("ocsf url", oc.URL); err != nil {
			return nil, err
		}
		client, err := sink.NewHTTPClient(cfg.AttemptTimeout(), oc.TLS)
		if err != nil {
			return nil, fmt.Errorf("ocsf tls: %w", err)
		}
		s.url, s.client = oc.URL, client
		s.header = http.Header{}
		for k, v := range oc.Headers {
			s.header.Set(k, v)
		}
		s.header.Set("Content-Type", "application/x-ndjson")
		s.header.Set("User-Agent", "claudit/"+cfg.ProductVersion())
	default:
		return nil, fmt.Errorf("ocsf output %q: use file, stdout or http", oc.Output)
	}
	return s, nil
}

// NewWriter builds an OCSF sink that writes to w, whatever cfg.OCSF.Output
// says; for embedding and tests.
func NewWriter(cfg sink.Config, w io.Writer) *Sink {
	return &Sink{name: cfg.Name, enc: encoder(cfg), w: w}
}

func encoder(cfg sink.Config) Encoder {
	e := Encoder{Version: cfg.ProductVersion(), MaxText: cfg.TextLimit(sink.DefaultMaxTextBytes)}
	if cfg.OCSF != nil {
		e.DataSecurityDetectors = cfg.OCSF.DataSecurityDetectors
	}
	return e
}

// Name returns the configured name.
func (s *Sink) Name() string { return s.name }

// Send encodes the batch and writes it in one go: one append and fsync for
// a file, one write for stdout, one POST for http. A write failure fails
// the whole batch (retryable); a delivery that cannot be encoded fails
// alone, permanently.
func (s *Sink) Send(ctx context.Context, batch []sink.Delivery) error {
	var res sink.Results
	var body []byte
	var ids []string
	for _, d := range batch {
		line, err := s.enc.Encode(d)
		if err != nil {
			res.Fail(d.ID, sink.Permanent(err))
			continue
		}
		body = append(body, line...)
		ids = append(ids, d.ID)
	}
	if len(ids) == 0 {
		return res.Err()
	}
	if err := ctx.Err(); err != nil {
		return s.failed(&res, ids, sink.CanceledErr(ctx))
	}
	var err error
	switch {
	case s.url != "":
		_, err = sink.Post(ctx, s.client, s.url, s.header, body)
	case s.path != "":
		err = s.appendFile(body)
	default:
		s.mu.Lock()
		_, err = s.w.Write(body)
		s.mu.Unlock()
	}
	if err != nil {
		return s.failed(&res, ids, fmt.Errorf("ocsf %s: write %d records: %w", s.name, len(ids), err))
	}
	sink.Accepted(ctx, ids...)
	return res.Err()
}

// failed reports err for ids: as a plain whole-batch error when nothing else
// failed, else folded into the partial result.
func (s *Sink) failed(res *sink.Results, ids []string, err error) error {
	if res.Err() == nil {
		return err
	}
	for _, id := range ids {
		res.Fail(id, err)
	}
	return res.Err()
}

// appendFile opens the file for each batch, so a rotated file is followed,
// and syncs before reporting success.
func (s *Sink) appendFile(body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", s.path, err)
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return fmt.Errorf("append to %s: %w", s.path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", s.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}
