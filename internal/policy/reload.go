package policy

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Reloadable holds the current Engine behind an atomic pointer so a policy
// file can be reloaded while evaluations run; each evaluation uses the engine
// that was current when it started.
type Reloadable struct {
	cur  atomic.Pointer[Engine]
	opts []Option
	log  *slog.Logger

	mu    sync.Mutex // serialises Reload
	mtime time.Time
	size  int64
}

// NewReloadable loads path (empty = embedded defaults) into a Reloadable.
func NewReloadable(path string, opts ...Option) (*Reloadable, error) {
	r := &Reloadable{opts: opts, log: slog.Default()}
	if err := r.Reload(path); err != nil {
		return nil, err
	}
	return r, nil
}

// Engine returns the current engine.
func (r *Reloadable) Engine() *Engine { return r.cur.Load() }

// Evaluate evaluates in with the current engine.
func (r *Reloadable) Evaluate(ctx context.Context, in detect.Input) Result {
	return r.cur.Load().Evaluate(ctx, in)
}

// Version returns the current engine's policy version.
func (r *Reloadable) Version() string { return r.cur.Load().Version() }

// Reload builds a new engine from path and swaps it in. On error the current
// engine stays in place.
func (r *Reloadable) Reload(path string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var mtime time.Time
	var size int64
	if path != "" {
		st, err := os.Stat(path)
		if err != nil {
			return fmt.Errorf("reload policies: %w", err)
		}
		mtime, size = st.ModTime(), st.Size()
	}
	e, err := Load(path, r.opts...)
	if err != nil {
		return fmt.Errorf("reload policies from %s: %w", path, err)
	}
	old := r.cur.Swap(e)
	r.mtime, r.size = mtime, size
	if old != nil && old.Version() != e.Version() {
		r.log.Info("policies reloaded", "path", path, "old_version", old.Version(), "version", e.Version())
	}
	return nil
}

// Watch polls path's modification time every interval and reloads it when it
// changes, until ctx is done. Reload errors are logged and the previous
// policies stay active.
func (r *Reloadable) Watch(ctx context.Context, path string, interval time.Duration) {
	if path == "" || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		st, err := os.Stat(path)
		if err != nil {
			r.log.Warn("policy file not readable; keeping current policies", "path", path, "err", err)
			continue
		}
		r.mu.Lock()
		changed := !st.ModTime().Equal(r.mtime) || st.Size() != r.size
		r.mu.Unlock()
		if !changed {
			continue
		}
		if err := r.Reload(path); err != nil {
			r.log.Error("policy reload failed; keeping current policies", "path", path, "err", err)
			// Remember the bad file's mtime so the error is logged once per change.
			r.mu.Lock()
			r.mtime, r.size = st.ModTime(), st.Size()
			r.mu.Unlock()
		}
	}
}

// Set swaps in an engine built elsewhere (policy edits from the dashboard).
// A later Reload of the policies file replaces it again.
func (r *Reloadable) Set(e *Engine) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur.Store(e)
}

// Options returns the options engines of this Reloadable are built with.
func (r *Reloadable) Options() []Option { return r.opts }
