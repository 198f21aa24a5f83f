package detect

// Decoded is text recovered from an encoded span of an input. The engine's
// decode stage, which runs before the detectors, hands each one to the
// detectors as one more text to scan, and maps their findings back onto
// the encoded span.
type Decoded struct {
	Text string
	// Start and End are byte offsets of the encoded span in the input.
	Start, End int
	// Kind is the chain of encodings, outermost first, e.g. "BASE64>HEX".
	Kind  string
	Depth int
}

// Decoder returns the texts hidden by encodings in in.Text, following
// nested encodings up to maxDepth levels and stopping once maxBytes of
// decoded text were produced. It may share work with detectors through
// in.Memo.
type Decoder func(in Input, maxDepth, maxBytes int) []Decoded

// decoders is filled from init functions and read afterwards.
var decoders = NewRegistry[Decoder]("detect: decoder")

// RegisterDecoder adds a decoder to the decode stage (gitleaks' codec);
// call it from the decoding package's init.
func RegisterDecoder(name string, d Decoder) { decoders.Add(name, d) }

// Decoders returns the registered decoders, by name.
func Decoders() []Decoder { return decoders.Values() }
