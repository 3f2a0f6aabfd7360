package engine

import (
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

func TestDebugScore(t *testing.T) {
	e, _ := New()
	m, _ := DefaultModel()
	for _, s := range strings.Split(os.Getenv("TXT"), "||") {
		a := e.Analyze(s, Context{}, &m.Lin, nil)
		z1 := m.B + a.Dot/math.Sqrt(float64(a.NFeat))
		fmt.Printf("%.3f z1=%.2f ev=%.2f %q\n", m.Score(&a), z1, a.Evidence(), s)
	}
}
