package compliance

import "sync/atomic"

func atomicAdd(p *int64, d int64) int64 { return atomic.AddInt64(p, d) }
func atomicLoad(p *int64) int64         { return atomic.LoadInt64(p) }
