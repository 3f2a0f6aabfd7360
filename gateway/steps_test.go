package gateway

import (
	"slices"
	"testing"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// The pipeline runs the seed's 14 steps in their documented order; the
// audit record is last and runs after a block too.
func TestPipelineOrder(t *testing.T) {
	want := []string{gw.StepAuthenticate, gw.StepTenant, gw.StepKillSwitch, gw.StepRateBudget, gw.StepValidate, gw.StepPolicy,
		gw.StepAllowList, gw.StepInjection, gw.StepPII, gw.StepContentRules, gw.StepCache, gw.StepProvider, gw.StepResponseScan,
		gw.StepAuditAndUsage}
	if got := Pipeline(); !slices.Equal(got, want) {
		t.Fatalf("pipeline %v, want %v", got, want)
	}
	for i, s := range pipeline {
		if s.Run == nil || s.On == 0 {
			t.Errorf("step %s: no implementation or no flow", s.Name)
		}
		if s.Always != (i == len(pipeline)-1) {
			t.Errorf("step %s: Always %v", s.Name, s.Always)
		}
		if s.FailMode != "" && s.FailMode != gw.FailClosed && s.FailMode != gw.FailOpen {
			t.Errorf("step %s: fail mode %q", s.Name, s.FailMode)
		}
		// The input side (through content rules) is what scan and simulate run.
		if input := s.On&flowInput != 0; input != (i < 10) {
			t.Errorf("step %s: input-side %v", s.Name, input)
		}
	}
}
