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
func allowed(prev, cur uint8) bool { return allowedTable[prev][cur] }

var allowedTable = func() (t [NumTags + 1][NumTags]bool) {
	for p := range NumTags + 1 {
		for c := range NumTags {
			t[p][c] = c == 0 || isBegin(uint8(c)) || (p != NumTags && p != 0 && tagLabel(uint8(p)) == tagLabel(uint8(c)))
		}
	}
	return t
}()

// Model holds the weights of the tagger: one row of NumTags weights per feature hash (int16, one
// scale), kept beside its key in an open-addressing table so that a look-up touches one cache line;
// the transition weights (row NumTags is the start); and the calibration of span scores per label.
type Model struct {
	slots []slot // 0 key = empty
	mask  uint64
	n     int
	scale float32
	trans [NumTags + 1][NumTags]float32
	// calA, calB calibrate span scores: p = 1/(1+exp(-(a·margin+b))).
	calA, calB [NumLabels]float32
}

type slot struct {
	key uint64
	w   [NumTags]int16
}

// row returns the quantised weights of a feature, nil when the model has none.
func (m *Model) row(h uint64) *[NumTags]int16 {
	for i := h & m.mask; ; i = (i + 1) & m.mask {
		s := &m.slots[i]
		switch s.key {
		case h:
			return &s.w
		case 0:
			return nil
		}
	}
}

// NumFeatures is the number of features with weights.
func (m *Model) NumFeatures() int { return m.n }

// newModel builds the lookup table of n features whose weights are multiples of scale.
func newModel(n int, scale float32) *Model {
	size := 1
	for size < 2*n+1 {
		size <<= 1
	}
	return &Model{slots: make([]slot, size), mask: uint64(size - 1), scale: scale}
}

// put adds a feature (each once).
func (m *Model) put(h uint64, w [NumTags]int16) {
	i := h & m.mask
	for m.slots[i].key != 0 {
		i = (i + 1) & m.mask
	}
	m.slots[i] = slot{key: h, w: w}
	m.n++
}

// quantise rounds weights to multiples of scale.
func quantise(w []float32, scale float32) (q [NumTags]int16) {
	for t := range NumTags {
		q[t] = int16(math.Round(float64(w[t] / scale)))
	}
	return q
}

const modelMagic = "NER1"

// Marshal writes the model: gzip of magic, calibration, transitions, scale, count, then per
// feature its hash and NumTags int16 weights.
func (m *Model) Marshal() ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString(modelMagic)
	le := binary.LittleEndian
	for _, v := range []any{m.calA, m.calB, m.trans, m.scale, uint32(m.n)} {
		_ = binary.Write(&raw, le, v)
	}
	var e [8 + 2*NumTags]byte
	for _, s := range m.slots {
		if s.key == 0 {
			continue
		}
		le.PutUint64(e[:], s.key)
		for t := range NumTags {
			le.PutUint16(e[8+2*t:], uint16(s.w[t]))
		}
		raw.Write(e[:])
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
	m := newModel(int(n), scale)
	m.calA, m.calB, m.trans = calA, calB, trans
	for k := range int(n) {
		e := rest[k*entry : (k+1)*entry]
		var w [NumTags]int16
		for t := range NumTags {
			w[t] = int16(le.Uint16(e[8+2*t:]))
		}
		m.put(le.Uint64(e), w)
	}
	return m, nil
}
