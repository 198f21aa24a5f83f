package classifier

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Model is a logistic-regression classifier over hashed features with Platt
// calibration: P(positive) = 1 / (1 + exp(PlattA*margin + PlattB)).
type Model struct {
	Features FeatureConfig
	// Weights has 1<<Features.Bits entries.
	Weights []float32
	Bias    float32
	// PlattA and PlattB calibrate the margin; A=-1, B=0 is the plain sigmoid.
	PlattA, PlattB float32
	// RulePower tempers the detector's rule score before its noisy-OR with
	// the model's: the rule score counts as rule^RulePower. tools/train
	// fits it with the operating point, so a noisy lexicon's weak hits
	// need the model's agreement while its strong ones still flag alone.
	// Files before version 3 have none and read as 1.
	RulePower float32

	// share is set for the models LoadModel reads, which score memoized
	// vectors together with the others of their FeatureConfig; see
	// modelGroup.
	share *shareState
}

// CombineFirm is Combine with a second rule score, firm, that the rule
// power leaves as it is: 1-(1-rule^RulePower)(1-firm)(1-p).
func (m *Model) CombineFirm(rule, firm, p float64) float64 {
	c := m.Combine(rule, p)
	if firm == 0 {
		return c
	}
	return 1 - (1-c)*(1-firm)
}

// Combine is the detector's score for a text whose rules score rule and
// whose best window the model scores p: their noisy-OR, with the rule
// score tempered by RulePower.
func (m *Model) Combine(rule, p float64) float64 {
	if m.RulePower != 1 && rule > 0 {
		rule = math.Pow(rule, float64(m.RulePower))
	}
	return 1 - (1-rule)*(1-p)
}

// Margin is the raw linear score w·x + b.
func (m *Model) Margin(v Vector) float64 {
	s := float64(m.Bias)
	for _, f := range v {
		s += float64(m.Weights[f.Index]) * float64(f.Value)
	}
	return s
}

// Calibrate maps a margin to a probability with the model's Platt parameters.
func (m *Model) Calibrate(margin float64) float64 {
	return sigmoid(-(float64(m.PlattA)*margin + float64(m.PlattB)))
}

// Score is the calibrated probability that text is positive.
func (m *Model) Score(text string) float64 {
	return m.Calibrate(m.Margin(m.Features.Vectorize(text)))
}

// DefaultWindow is the window size in bytes used by ScoreWindows.
const DefaultWindow = 2048

// ScoreWindows scores text in overlapping windows of about size bytes and
// returns the highest probability and the byte span of that window. At most
// maxWindows windows are scored, the rest of a very long text is skipped.
func (m *Model) ScoreWindows(text string, size, maxWindows int) (p float64, start, end int) {
	return m.ScoreInput(detect.Input{Text: text}, size, maxWindows)
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// The file format is gzip over: magic, the FeatureConfig bytes (four in
// version 1, five with Flags from version 2), bias,
// Platt A and B (and RulePower from version 3) as little-endian float32, the count of non-zero weights as a
// uvarint, then each non-zero weight as a uvarint index delta and a float32.
var (
	modelMagicV1 = []byte("CLDTLR\x00\x01")
	modelMagicV2 = []byte("CLDTLR\x00\x02")
	modelMagic   = []byte("CLDTLR\x00\x03")
)

// ErrBadModel is returned for a model file that cannot be decoded.
var ErrBadModel = errors.New("classifier: bad model file")

// WriteTo writes the model in its compact binary form; weights whose absolute
// value is below pruneBelow are dropped.
func (m *Model) WriteTo(w io.Writer, pruneBelow float32) error {
	if !m.Features.valid() || len(m.Weights) != 1<<m.Features.Bits {
		return fmt.Errorf("write model: %w: inconsistent features and weights", ErrBadModel)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	bw := bufio.NewWriter(zw)
	if m.Features.Flags == 0 {
		bw.Write(modelMagicV1)
		bw.Write([]byte{m.Features.Bits, m.Features.CharMin, m.Features.CharMax, m.Features.WordNgrams})
	} else {
		bw.Write(modelMagic)
		bw.Write([]byte{m.Features.Bits, m.Features.CharMin, m.Features.CharMax, m.Features.WordNgrams, m.Features.Flags})
	}
	version3 := m.Features.Flags != 0
	var buf [binary.MaxVarintLen64]byte
	putF32 := func(f float32) {
		binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(f))
		bw.Write(buf[:4])
	}
	putF32(m.Bias)
	putF32(m.PlattA)
	putF32(m.PlattB)
	if version3 {
		putF32(m.RulePower)
	}
	nnz := 0
	for _, x := range m.Weights {
		if x != 0 && abs32(x) >= pruneBelow {
			nnz++
		}
	}
	bw.Write(buf[:binary.PutUvarint(buf[:], uint64(nnz))])
	last := -1
	for i, x := range m.Weights {
		if x == 0 || abs32(x) < pruneBelow {
			continue
		}
		bw.Write(buf[:binary.PutUvarint(buf[:], uint64(i-last))])
		putF32(x)
		last = i
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// MarshalBinary returns the model file bytes without pruning.
func (m *Model) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	if err := m.WriteTo(&b, 0); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ReadModel decodes a model written by WriteTo. It validates every field, so
// a truncated or foreign file yields ErrBadModel rather than a panic.
func ReadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read model: %w: %v", ErrBadModel, err)
	}
	defer zr.Close()
	br := bufio.NewReader(io.LimitReader(zr, 64<<20))
	magic := make([]byte, len(modelMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, fmt.Errorf("read model header: %w: %v", ErrBadModel, err)
	}
	nfeat, nfloat := 4, 3
	switch {
	case bytes.Equal(magic, modelMagic):
		nfeat, nfloat = 5, 4
	case bytes.Equal(magic, modelMagicV2):
		nfeat = 5
	case !bytes.Equal(magic, modelMagicV1):
		return nil, fmt.Errorf("read model: %w: wrong magic", ErrBadModel)
	}
	head := make([]byte, nfeat+4*nfloat)
	if _, err := io.ReadFull(br, head); err != nil {
		return nil, fmt.Errorf("read model header: %w: %v", ErrBadModel, err)
	}
	m := &Model{Features: FeatureConfig{Bits: head[0], CharMin: head[1], CharMax: head[2], WordNgrams: head[3]}}
	if nfeat == 5 {
		m.Features.Flags = head[4]
	}
	p := head[nfeat-4:]
	if !m.Features.valid() {
		return nil, fmt.Errorf("read model: %w: feature config %+v", ErrBadModel, m.Features)
	}
	f32 := func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	m.Bias, m.PlattA, m.PlattB, m.RulePower = f32(p[4:]), f32(p[8:]), f32(p[12:]), 1
	if nfloat == 4 {
		m.RulePower = f32(p[16:])
	}
	if !finite(m.Bias) || !finite(m.PlattA) || !finite(m.PlattB) {
		return nil, fmt.Errorf("read model: %w: non-finite parameter", ErrBadModel)
	}
	if !(m.RulePower >= 1 && m.RulePower <= 64) {
		return nil, fmt.Errorf("read model: %w: rule power %v outside 1 to 64", ErrBadModel, m.RulePower)
	}
	size := 1 << m.Features.Bits
	nnz, err := binary.ReadUvarint(br)
	if err != nil || nnz > uint64(size) {
		return nil, fmt.Errorf("read model: %w: weight count", ErrBadModel)
	}
	m.Weights = make([]float32, size)
	idx := -1
	var fb [4]byte
	for range nnz {
		d, err := binary.ReadUvarint(br)
		if err != nil || d == 0 || d > uint64(size) {
			return nil, fmt.Errorf("read model: %w: weight index", ErrBadModel)
		}
		idx += int(d)
		if idx >= size {
			return nil, fmt.Errorf("read model: %w: weight index out of range", ErrBadModel)
		}
		if _, err := io.ReadFull(br, fb[:]); err != nil {
			return nil, fmt.Errorf("read model: %w: truncated weights", ErrBadModel)
		}
		w := f32(fb[:])
		if !finite(w) {
			return nil, fmt.Errorf("read model: %w: non-finite weight", ErrBadModel)
		}
		m.Weights[idx] = w
	}
	return m, nil
}

// UnmarshalModel decodes model file bytes; see ReadModel.
func UnmarshalModel(data []byte) (*Model, error) {
	return ReadModel(bytes.NewReader(data))
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

func finite(x float32) bool {
	f := float64(x)
	return !math.IsNaN(f) && !math.IsInf(f, 0)
}

// vectorsKey memoizes feature vectors per scanned text, so detectors whose
// models share a FeatureConfig (all the embedded ones) featurize it once.
var vectorsKey = new(int)

type memoVector struct {
	cfg        FeatureConfig
	start, end int
	v          Vector
	// margins[moff:moff+mlen] of memoVectors are the margins of v for the
	// first mlen models of the FeatureConfig's group, once one of them
	// has asked (mlen 0 until then).
	moff, mlen int
}

type memoVectors struct {
	list []memoVector
	// bufs hold the storage of list's vectors, from vectorPool.
	bufs []*Vector
	// margins holds the margins of list's entries.
	margins []float64
	// release returns bufs to vectorPool and the memo to memoPool when
	// the scan ends.
	release func()
}

// vectorPool recycles the storage of memoized vectors once their scan ends.
var vectorPool = sync.Pool{New: func() any { return new(Vector) }}

// memoPool recycles memoVectors.
var memoPool sync.Pool

// newMemoVectors returns an empty memo that in's memo recycles.
func newMemoVectors(in detect.Input) *memoVectors {
	mv, _ := memoPool.Get().(*memoVectors)
	if mv == nil {
		mv = &memoVectors{}
		mv.release = func() {
			for _, b := range mv.bufs {
				vectorPool.Put(b)
			}
			clear(mv.bufs)
			clear(mv.list)
			mv.bufs, mv.list, mv.margins = mv.bufs[:0], mv.list[:0], mv.margins[:0]
			memoPool.Put(mv)
		}
	}
	in.Memo.OnRelease(mv.release)
	return mv
}

// vectorOf returns the features of in.Text[start:end], shared through
// in.Memo with the other models scanning the same text.
func (c FeatureConfig) vectorOf(in detect.Input, start, end int) Vector {
	if in.Memo == nil {
		return c.Vectorize(in.Text[start:end])
	}
	mv, i := c.memoEntry(in, start, end)
	return mv.list[i].v
}

// memoEntry returns in's memo of vectors and the index in its list of the
// entry of in.Text[start:end], featurizing the text on first use.
func (c FeatureConfig) memoEntry(in detect.Input, start, end int) (*memoVectors, int) {
	mv := detect.Memoize(in, vectorsKey, func() *memoVectors { return newMemoVectors(in) })
	for i, e := range mv.list {
		if e.cfg == c && e.start == start && e.end == end {
			return mv, i
		}
	}
	buf := vectorPool.Get().(*Vector)
	v := c.appendVector(*buf, in.Text[start:end])
	if cap(v) > cap(*buf) {
		*buf = v[:0]
	}
	mv.bufs = append(mv.bufs, buf)
	mv.list = append(mv.list, memoVector{cfg: c, start: start, end: end, v: v})
	return mv, len(mv.list) - 1
}

// marginOf is m.Margin of the features of in.Text[start:end]. With a memo,
// the first model of a group to ask scores the window for the whole group
// in one pass over the vector (see modelGroup), and the others read their
// margin from the memo.
func (m *Model) marginOf(in detect.Input, start, end int) float64 {
	if in.Memo == nil || m.share == nil {
		return m.Margin(m.Features.vectorOf(in, start, end))
	}
	mv, i := m.Features.memoEntry(in, start, end)
	e := &mv.list[i]
	lane := m.share.lane()
	if lane < e.mlen {
		return mv.margins[e.moff+lane]
	}
	if e.mlen > 0 {
		// m joined its group after the window was scored.
		return m.Margin(e.v)
	}
	g := m.share.group.snap.Load()
	n := len(g.models)
	e.moff, e.mlen = len(mv.margins), n
	mv.margins = slices.Grow(mv.margins, n)[:e.moff+n]
	groupMargins(g, e.v, mv.margins[e.moff:])
	m.share.group.scoredWith(g)
	return mv.margins[e.moff+lane]
}

// ScoreInput is ScoreWindows of in.Text, sharing feature vectors with the
// other models that scan the same input.
func (m *Model) ScoreInput(in detect.Input, size, maxWindows int) (p float64, start, end int) {
	return m.ScoreGated(in, size, maxWindows, nil)
}

// ScoreGated is ScoreInput that scores only the windows gate opens; the
// others score 0. A nil gate opens every window.
func (m *Model) ScoreGated(in detect.Input, size, maxWindows int, gate *Gate) (p float64, start, end int) {
	if size <= 0 {
		size = DefaultWindow
	}
	i := -1
	for w := range windowSeq(in.Text, size) {
		if i++; maxWindows > 0 && i >= maxWindows {
			break
		}
		if !gate.Open(in, w.start, w.end) {
			if i == 0 {
				start, end = w.start, w.end
			}
			continue
		}
		if s := m.Calibrate(m.marginOf(in, w.start, w.end)); s > p || i == 0 {
			p, start, end = s, w.start, w.end
		}
	}
	return p, start, end
}
