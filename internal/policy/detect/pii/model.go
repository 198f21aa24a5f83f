package pii

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
)

// Model is the learned recognizer's weights: one logistic model over hashed
// features shared by the entities (every feature name starts with its
// entity's prefix), the common-word vocabulary the features were built
// with, and per entity the scale and offset that turn a candidate's margin
// into its score.
type Model struct {
	Bits   uint8
	Common []string
	// Scale and Offset per entity (ModelEntities order): score =
	// sigmoid(Scale*margin + Offset).
	Scale, Offset [numModelEntities]float32
	Weights       []float32
}

// Margin is the sum of the weights of a candidate's features.
func (m *Model) Margin(feats []uint32) float64 {
	var s float64
	for _, f := range feats {
		s += float64(m.Weights[f])
	}
	return s
}

// Score maps a margin of entity e to its score in [0,1].
func (m *Model) Score(e int, margin float64) float64 {
	z := float64(m.Scale[e])*margin + float64(m.Offset[e])
	return 1 / (1 + math.Exp(-z))
}

var modelFileMagic = []byte("CLDTPII\x00\x01")

// errBadModel is returned for a model file that cannot be decoded.
var errBadModel = errors.New("pii: bad model file")

// MarshalBinary encodes the model: gzip over the magic, bits, the scales
// and offsets as little-endian float32, the vocabulary as a uvarint length
// and newline-joined words, the count of non-zero weights and each as a
// uvarint index delta and a float32. The same model gives the same bytes.
func (m *Model) MarshalBinary() ([]byte, error) {
	if m.Bits < 8 || m.Bits > 24 || len(m.Weights) != 1<<m.Bits {
		return nil, fmt.Errorf("encode model: %w: %d weights for %d bits", errBadModel, len(m.Weights), m.Bits)
	}
	var out bytes.Buffer
	zw, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriter(zw)
	var buf [binary.MaxVarintLen64]byte
	putF32 := func(f float32) {
		binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(f))
		bw.Write(buf[:4])
	}
	putUvarint := func(n uint64) { bw.Write(buf[:binary.PutUvarint(buf[:], n)]) }
	bw.Write(modelFileMagic)
	bw.WriteByte(m.Bits)
	for e := range numModelEntities {
		putF32(m.Scale[e])
		putF32(m.Offset[e])
	}
	vocab := strings.Join(m.Common, "\n")
	putUvarint(uint64(len(vocab)))
	bw.WriteString(vocab)
	nnz := 0
	for _, w := range m.Weights {
		if w != 0 {
			nnz++
		}
	}
	putUvarint(uint64(nnz))
	last := -1
	for i, w := range m.Weights {
		if w == 0 {
			continue
		}
		putUvarint(uint64(i - last))
		putF32(w)
		last = i
	}
	if err := bw.Flush(); err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	return out.Bytes(), nil
}

// ParseModel decodes a model written by MarshalBinary, validating every
// field so a truncated or foreign file is an error, not a panic.
func ParseModel(data []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode model: %w: %v", errBadModel, err)
	}
	defer zr.Close()
	br := bufio.NewReader(io.LimitReader(zr, 64<<20))
	head := make([]byte, len(modelFileMagic)+1+8*numModelEntities)
	if _, err := io.ReadFull(br, head); err != nil || !bytes.Equal(head[:len(modelFileMagic)], modelFileMagic) {
		return nil, fmt.Errorf("decode model: %w: header", errBadModel)
	}
	p := head[len(modelFileMagic):]
	m := &Model{Bits: p[0]}
	if m.Bits < 8 || m.Bits > 24 {
		return nil, fmt.Errorf("decode model: %w: bits %d", errBadModel, m.Bits)
	}
	f32 := func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }
	for e := range numModelEntities {
		m.Scale[e], m.Offset[e] = f32(p[1+8*e:]), f32(p[5+8*e:])
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > 16<<20 {
		return nil, fmt.Errorf("decode model: %w: vocabulary size", errBadModel)
	}
	vocab := make([]byte, n)
	if _, err := io.ReadFull(br, vocab); err != nil {
		return nil, fmt.Errorf("decode model: %w: vocabulary", errBadModel)
	}
	if n > 0 {
		m.Common = strings.Split(string(vocab), "\n")
	}
	size := 1 << m.Bits
	nnz, err := binary.ReadUvarint(br)
	if err != nil || nnz > uint64(size) {
		return nil, fmt.Errorf("decode model: %w: weight count", errBadModel)
	}
	m.Weights = make([]float32, size)
	idx := -1
	var fb [4]byte
	for range nnz {
		d, err := binary.ReadUvarint(br)
		if err != nil || d == 0 || d > uint64(size) || idx+int(d) >= size {
			return nil, fmt.Errorf("decode model: %w: weight index", errBadModel)
		}
		idx += int(d)
		if _, err := io.ReadFull(br, fb[:]); err != nil {
			return nil, fmt.Errorf("decode model: %w: truncated weights", errBadModel)
		}
		w := f32(fb[:])
		if math.IsNaN(float64(w)) || math.IsInf(float64(w), 0) {
			return nil, fmt.Errorf("decode model: %w: non-finite weight", errBadModel)
		}
		m.Weights[idx] = w
	}
	return m, nil
}

// modelFile is the embedded model, rebuilt by `go run ./tools/trainpii`.
//
//go:embed model/pii.bin
var modelFile []byte

// ModelPath and ManifestPath are where tools/trainpii writes the model and
// its manifest, relative to the repository root.
const (
	ModelPath    = "internal/policy/detect/pii/model/pii.bin"
	ManifestPath = "internal/policy/detect/pii/model/pii.manifest.json"
)

// learned is the decoded embedded model and its featurizer, shared by every
// detector: both are read-only once built.
type learned struct {
	model *Model
	feat  *Featurizer
}

var loadLearned = sync.OnceValues(func() (*learned, error) {
	m, err := ParseModel(modelFile)
	if err != nil {
		return nil, err
	}
	f, err := NewFeaturizer(m.Bits, m.Common)
	if err != nil {
		return nil, err
	}
	return &learned{model: m, feat: f}, nil
})
