package evaluate

import (
	"context"
	"sync"
)

// Follower evaluates close behind ingest: each stored page wakes it, and it
// evaluates whatever is pending, so that a sync or backfill ends with its
// events evaluated instead of starting a second pass over them.
type Follower struct {
	p          *Pipeline
	activities bool
	wake       chan struct{}
	stop       chan struct{}
	done       chan struct{}

	mu sync.Mutex
	n  int
}

// Follow starts a follower. With activities false it evaluates messages
// only and leaves activities to Close: a backfill stores history out of
// time order, and the activity policies judge an event by the user's
// earlier ones, which must be stored first.
func (p *Pipeline) Follow(ctx context.Context, activities bool) *Follower {
	f := &Follower{p: p, activities: activities, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go f.run(ctx)
	return f
}

// Stored tells the follower a page was committed; it never blocks.
func (f *Follower) Stored() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	for {
		select {
		case <-f.stop:
			return
		case <-ctx.Done():
			return
		case <-f.wake:
		}
		n, err := f.p.drain(ctx, f.activities)
		f.mu.Lock()
		f.n += n
		f.mu.Unlock()
		if err != nil {
			return // Close reports it after one more try
		}
	}
}

// Close stops following, evaluates everything still pending (activities
// included, unless HoldActivities holds them) and returns how many events
// the follower evaluated in all.
func (f *Follower) Close(ctx context.Context) (int, error) {
	close(f.stop)
	<-f.done
	n, err := f.p.Drain(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n + n, err
}
