package engine

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"math"
	"sync"
)

// The shipped model: stage-1 weights in model.bin (int16, little endian,
// scaled by model1Scale) and the stage-2 coefficients and threshold in
// model_gen.go. Both are written by internal/train (see its doc comment).

//go:embed model.bin
var modelBin []byte

// Model is the trained scorer.
type Model struct {
	Lin       Linear
	B         float64   // stage-1 bias
	C         []float64 // stage-2: bias, stage-1 logit, evidence...
	Threshold float64
}

var (
	defaultOnce  sync.Once
	defaultModel *Model
	defaultErr   error
)

// DefaultModel returns the embedded model, decoded once.
func DefaultModel() (*Model, error) {
	defaultOnce.Do(func() { defaultModel, defaultErr = decodeModel(modelBin) })
	return defaultModel, defaultErr
}

func decodeModel(b []byte) (*Model, error) {
	n := 1 << FeatureBits
	if len(b) != 2*n {
		return nil, errors.New("injection model: weight file has the wrong size")
	}
	if len(model2) != 2+NumEvidence {
		return nil, errors.New("injection model: stage-2 coefficients do not match the evidence features")
	}
	m := &Model{Lin: Linear{W: make([]float32, n)}, B: model1Bias, C: model2[:], Threshold: ModelThreshold}
	for i := range m.Lin.W {
		m.Lin.W[i] = float32(int16(binary.LittleEndian.Uint16(b[2*i:]))) * model1Scale
	}
	return m, nil
}

// EncodeWeights quantises stage-1 weights for model.bin and returns the scale.
func EncodeWeights(w []float32) ([]byte, float32) {
	maxAbs := float32(0)
	for _, v := range w {
		maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
	}
	scale := maxAbs / 32767
	if scale == 0 {
		scale = 1
	}
	out := make([]byte, 2*len(w))
	for i, v := range w {
		q := int16(math.Round(float64(v / scale)))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(q))
	}
	return out, scale
}

// DocShift is the logit shift of the document calibration: a text read as a
// document (tool result, retrieved content, tool description) scores
// sigmoid(z - logit(ModelThresholdDoc) + logit(ModelThreshold)), so that one
// threshold means the same false-positive bound in both contexts.
var DocShift = logit(ModelThreshold) - logit(ModelThresholdDoc)

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// ScoreIn scores an analysis in its context.
func (m *Model) ScoreIn(a *Analysis, doc bool) float64 {
	if !doc {
		return m.Score(a)
	}
	s := m.Score(a)
	s = min(max(s, 1e-9), 1-1e-9)
	z := logit(s) + DocShift
	return 1 / (1 + math.Exp(-z))
}

// Score combines an analysis into the calibrated score.
func (m *Model) Score(a *Analysis) float64 {
	z1 := m.B
	if a.NFeat > 0 {
		z1 += a.Dot / math.Sqrt(float64(a.NFeat))
	}
	ev := a.Evidence()
	z := m.C[0] + m.C[1]*4*math.Tanh(z1/4)
	for i, v := range ev {
		z += m.C[2+i] * v
	}
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// ModelVersion names the trained model; it is part of every verdict.
const ModelVersion = "injection-2.1.0"
