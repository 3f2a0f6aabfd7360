package ner

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Tags: BIO over four labels.
const NumTags = 9

// Label is the kind of a span.
type Label uint8

// Labels.
const (
	None Label = iota
	Person
	Location
	Organization
	Address
)

// NumLabels counts the labels, None included.
const NumLabels = 5

// LabelNames names the labels.
var LabelNames = [NumLabels]string{"O", "PER", "LOC", "ORG", "ADDR"}

// TagNames names the tags.
var TagNames = [NumTags]string{"O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-ADDR", "I-ADDR"}

func tagLabel(t uint8) Label { return Label((t + 1) / 2) }
func isBegin(t uint8) bool   { return t%2 == 1 }
func beginTag(l Label) uint8 { return uint8(l)*2 - 1 }

// allowed reports whether tag cur may follow tag prev (prev = NumTags at the start): an inside tag
// continues a span of its own label.
func allowed(prev, cur uint8) bool {
	if cur == 0 || isBegin(cur) {
		return true
	}
	return prev != NumTags && prev != 0 && tagLabel(prev) == tagLabel(cur)
}

// Model holds the weights of the tagger: one row of NumTags weights per feature hash, the
// transition weights (row NumTags is the start), and the calibration of span scores per label.
type Model struct {
	keys    []uint64 // open addressing; 0 = empty slot
	rows    []int32
	weights []float32
	mask    uint64
	trans   [NumTags + 1][NumTags]float32
	// calA, calB calibrate span scores: score = 1/(1+exp(-(a·margin+b))).
	calA, calB [NumLabels]float32
}

// row returns the weights of a feature, nil when the model has none.
func (m *Model) row(h uint64) []float32 {
	for i := h & m.mask; ; i = (i + 1) & m.mask {
		switch m.keys[i] {
		case h:
			r := int(m.rows[i]) * NumTags
			return m.weights[r : r+NumTags]
		case 0:
			return nil
		}
	}
}

// NumFeatures is the number of features with weights.
func (m *Model) NumFeatures() int { return len(m.weights) / NumTags }

// newModel builds the lookup table of n features.
func newModel(n int) *Model {
	size := 1
	for size < 2*n+1 {
		size <<= 1
	}
	return &Model{keys: make([]uint64, size), rows: make([]int32, size), weights: make([]float32, 0, n*NumTags), mask: uint64(size - 1)}
}

// put adds a feature (each once).
func (m *Model) put(h uint64, w []float32) {
	i := h & m.mask
	for m.keys[i] != 0 {
		i = (i + 1) & m.mask
	}
	m.keys[i] = h
	m.rows[i] = int32(len(m.weights) / NumTags)
	m.weights = append(m.weights, w...)
}

const modelMagic = "NER1"

// Marshal writes the model: gzip of magic, calibration, transitions, then per feature its hash and
// NumTags weights quantised to int16 with one scale.
func (m *Model) Marshal() ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString(modelMagic)
	le := binary.LittleEndian
	put := func(v any) { _ = binary.Write(&raw, le, v) }
	put(m.calA)
	put(m.calB)
	put(m.trans)
	maxAbs := float32(0)
	for _, w := range m.weights {
		maxAbs = max(maxAbs, float32(math.Abs(float64(w))))
	}
	scale := maxAbs / 32767
	if scale == 0 {
		scale = 1
	}
	put(scale)
	put(uint32(m.NumFeatures()))
	q := make([]int16, NumTags)
	for i, k := range m.keys {
		if k == 0 {
			continue
		}
		r := int(m.rows[i]) * NumTags
		for t := range NumTags {
			q[t] = int16(math.Round(float64(m.weights[r+t] / scale)))
		}
		put(k)
		put(q)
	}
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// ParseModel reads what Marshal wrote.
func ParseModel(gz []byte) (*Model, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("ner: model: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("ner: model: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(modelMagic)) {
		return nil, errors.New("ner: model: bad magic")
	}
	r := bytes.NewReader(raw[len(modelMagic):])
	le := binary.LittleEndian
	var calA, calB [NumLabels]float32
	var trans [NumTags + 1][NumTags]float32
	var scale float32
	var n uint32
	for _, v := range []any{&calA, &calB, &trans, &scale, &n} {
		if err := binary.Read(r, le, v); err != nil {
			return nil, fmt.Errorf("ner: model: %w", err)
		}
	}
	rest := raw[len(raw)-r.Len():]
	const entry = 8 + 2*NumTags
	if len(rest) != int(n)*entry {
		return nil, errors.New("ner: model: truncated")
	}
	m := newModel(int(n))
	m.calA, m.calB, m.trans = calA, calB, trans
	w := make([]float32, NumTags)
	for k := range int(n) {
		e := rest[k*entry : (k+1)*entry]
		for t := range NumTags {
			w[t] = float32(int16(le.Uint16(e[8+2*t:]))) * scale
		}
		m.put(le.Uint64(e), w)
	}
	return m, nil
}
