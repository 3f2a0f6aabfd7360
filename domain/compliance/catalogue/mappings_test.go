package catalogue

import (
	"testing"

	"github.com/astrabastion/astra/domain/compliance"
)

func TestMappings_PointAtAssessableRequirementsWithAValidStrength(t *testing.T) {
	fw := map[string]compliance.Framework{}
	for _, f := range All() {
		fw[f.ID] = f
	}
	ms := Mappings()
	if len(ms) < 50 {
		t.Fatalf("only %d mappings", len(ms))
	}
	seen := map[[2]compliance.Ref]bool{}
	pairs := map[[2]string]int{}
	for _, m := range ms {
		if err := compliance.ValidateMapping(m, fw); err != nil {
			t.Error(err)
		}
		key := [2]compliance.Ref{m.From, m.To}
		if seen[key] {
			t.Errorf("%s → %s mapped twice", m.From, m.To)
		}
		seen[key] = true
		if m.Rationale == "" {
			t.Errorf("%s → %s has no rationale", m.From, m.To)
		}
		pairs[[2]string{m.From.Framework, m.To.Framework}]++
	}
	for _, want := range [][2]string{{ISO27001, NISTCSF}, {ISO27001, SOC2}, {NISTCSF, SOC2}, {NISTAIRMF, ISO42001}, {ISO42001, EUAIAct}, {NISTAIRMF, EUAIAct}} {
		if pairs[want] == 0 {
			t.Errorf("no mapping from %s to %s", want[0], want[1])
		}
	}
	t.Logf("%d mappings: %v", len(ms), pairs)
}
