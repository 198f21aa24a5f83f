package detect

// LongRuns calls fn with the start and end of every maximal run of bytes
// of s in set that is at least n bytes long, left to right, until fn
// returns false. It reads the last byte of each n-byte window first and
// skips the whole window when that byte is out of set, so text with few
// long runs is mostly not read.
func LongRuns(s string, set *[256]bool, n int, fn func(start, end int) bool) {
	if n < 1 {
		n = 1
	}
	for end := n - 1; end < len(s); {
		if !set[s[end]] {
			end += n
			continue
		}
		k := end - 1
		for k > end-n && set[s[k]] {
			k--
		}
		if k > end-n {
			// No run of n can start at or before k.
			end = k + n
			continue
		}
		// s[end-n+1:end+1] is in set: widen it to the whole run. Every
		// byte left of it up to the previous run's end was out of set or
		// skipped because a later byte was, so the run starts after that.
		start := end - n + 1
		for start > 0 && set[s[start-1]] {
			start--
		}
		stop := end + 1
		for stop < len(s) && set[s[stop]] {
			stop++
		}
		if !fn(start, stop) {
			return
		}
		end = stop + n
	}
}
