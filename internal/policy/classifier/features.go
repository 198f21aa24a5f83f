package classifier

import (
	"math"
	"slices"
	"strings"
	"unicode"
)

// FeatureConfig describes how text is turned into a hashed feature vector.
// It is stored in every model file so a model is always scored with the
// features it was trained on.
type FeatureConfig struct {
	// Bits is log2 of the number of hash buckets.
	Bits uint8 `json:"bits"`
	// CharMin and CharMax bound the character n-gram lengths.
	CharMin uint8 `json:"char_min"`
	CharMax uint8 `json:"char_max"`
	// WordNgrams is the longest word n-gram (1 = unigrams, 2 = uni- and bigrams).
	WordNgrams uint8 `json:"word_ngrams"`
}

// DefaultFeatureConfig is 2^18 buckets, character 3- to 5-grams and word uni-
// and bigrams.
func DefaultFeatureConfig() FeatureConfig {
	return FeatureConfig{Bits: 18, CharMin: 3, CharMax: 5, WordNgrams: 2}
}

// MaxFeatureRunes caps how much of one text is featurized; longer texts are
// scored in windows by the caller (see Model.ScoreWindows).
const MaxFeatureRunes = 8192

const (
	minBits = 8
	maxBits = 24
)

func (c FeatureConfig) valid() bool {
	return c.Bits >= minBits && c.Bits <= maxBits &&
		c.CharMin >= 1 && c.CharMin <= c.CharMax && c.CharMax <= 8 &&
		c.WordNgrams <= 3
}

// Feature is one non-zero entry of a sparse vector.
type Feature struct {
	Index uint32
	Value float32
}

// Vector is a sparse feature vector sorted by Index with unique indexes and
// unit L2 norm (or empty).
type Vector []Feature

const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619

	seedChar    = 0x9e3779b9
	seedWord    = 0x85ebca6b
	seedBigram  = 0xc2b2ae35
	seedTrigram = 0x27d4eb2f
)

func fnvRune(h uint32, r rune) uint32 {
	h ^= uint32(r)
	return h * fnvPrime
}

// fmix32 is MurmurHash3's finalizer; FNV's high bits alone mix poorly.
func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// normalize lower-cases text and collapses whitespace runs to one space,
// padding with spaces so word boundaries become part of character n-grams.
func normalize(text string) []rune {
	out := make([]rune, 0, len(text)+2)
	out = append(out, ' ')
	space := true
	for _, r := range text {
		if unicode.IsSpace(r) {
			if !space {
				out = append(out, ' ')
				space = true
			}
			continue
		}
		if len(out) >= MaxFeatureRunes {
			break
		}
		out = append(out, unicode.ToLower(r))
		space = false
	}
	if !space {
		out = append(out, ' ')
	}
	return out
}

// Vectorize turns text into a sparse, signed, sublinearly scaled and
// L2-normalized hashed feature vector.
func (c FeatureConfig) Vectorize(text string) Vector {
	runes := normalize(text)
	shift := 32 - uint32(c.Bits)
	raw := make([]uint32, 0, len(runes)*int(c.CharMax-c.CharMin+1)+len(runes)/2)

	// Character n-grams, hashed incrementally per start position.
	for i := range runes {
		h := uint32(fnvOffset ^ seedChar)
		for n := 1; n <= int(c.CharMax) && i+n <= len(runes); n++ {
			h = fnvRune(h, runes[i+n-1])
			if n >= int(c.CharMin) {
				raw = append(raw, fmix32(h^uint32(n)))
			}
		}
	}

	// Word n-grams over runs of letters and digits.
	var prev1, prev2 uint32
	words := 0
	h := uint32(fnvOffset)
	inWord := false
	flush := func() {
		wh := fmix32(h ^ seedWord)
		if c.WordNgrams >= 1 {
			raw = append(raw, wh)
		}
		if c.WordNgrams >= 2 && words >= 1 {
			raw = append(raw, fmix32(prev1*31^wh^seedBigram))
		}
		if c.WordNgrams >= 3 && words >= 2 {
			raw = append(raw, fmix32((prev2*31^prev1)*31^wh^seedTrigram))
		}
		prev2, prev1 = prev1, wh
		words++
		h = fnvOffset
		inWord = false
	}
	for _, r := range runes {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' {
			h = fnvRune(h, r)
			inWord = true
			continue
		}
		if inWord {
			flush()
		}
	}
	if inWord {
		flush()
	}
	return toVector(raw, shift)
}

// toVector maps raw hashes to signed bucket counts, then applies log scaling
// and L2 normalization.
func toVector(raw []uint32, shift uint32) Vector {
	if len(raw) == 0 {
		return nil
	}
	slices.SortFunc(raw, func(a, b uint32) int {
		ia, ib := a>>shift, b>>shift
		switch {
		case ia < ib:
			return -1
		case ia > ib:
			return 1
		}
		return 0
	})
	v := make(Vector, 0, len(raw))
	for _, h := range raw {
		idx := h >> shift
		sign := float32(1)
		if h&1 == 1 {
			sign = -1
		}
		if n := len(v); n > 0 && v[n-1].Index == idx {
			v[n-1].Value += sign
			continue
		}
		v = append(v, Feature{Index: idx, Value: sign})
	}
	var norm float64
	out := v[:0]
	for _, f := range v {
		if f.Value == 0 {
			continue
		}
		s := math.Log1p(math.Abs(float64(f.Value)))
		if f.Value < 0 {
			s = -s
		}
		f.Value = float32(s)
		norm += s * s
		out = append(out, f)
	}
	if norm == 0 {
		return nil
	}
	inv := float32(1 / math.Sqrt(norm))
	for i := range out {
		out[i].Value *= inv
	}
	return out
}

// span is a byte range of a text.
type span struct{ start, end int }

// windows splits a text of length n into overlapping spans of roughly size
// bytes, cut at whitespace where possible, so a short injection buried in a
// long document is not diluted by the rest of it.
func windows(text string, size int) []span {
	if len(text) <= size {
		return []span{{0, len(text)}}
	}
	var out []span
	step := size * 3 / 4
	for start := 0; start < len(text); {
		end := min(start+size, len(text))
		if end < len(text) {
			if cut := strings.LastIndexAny(text[start:end], " \n\t"); cut > size/2 {
				end = start + cut
			}
			for end > start+1 && text[end]&0xC0 == 0x80 {
				end--
			}
		}
		out = append(out, span{start, end})
		if end == len(text) {
			break
		}
		next := min(start+step, end)
		for next < len(text) && text[next]&0xC0 == 0x80 {
			next++
		}
		start = next
	}
	return out
}
