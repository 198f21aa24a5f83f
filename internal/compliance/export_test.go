package compliance

// ActivityBothWays decodes an activity b (valid JSON) as a page item
// (decodeOwned, on its own copy) and with Decode.
func ActivityBothWays(b []byte) (fast, slow Activity, fastErr, slowErr error) {
	fastErr = fast.decodeOwned(append([]byte(nil), b...))
	slowErr = Decode(b, &slow)
	return fast, slow, fastErr, slowErr
}
