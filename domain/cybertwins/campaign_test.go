package cybertwins

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func atlas(t *testing.T) *Catalogue {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "data", "atlas", "ATLAS.yaml"))
	if err != nil {
		t.Fatalf("the ATLAS data file (../shared/data/atlas): %v", err)
	}
	c, err := ParseCatalogue(doc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCatalogue_ReadsATLAS(t *testing.T) {
	c := atlas(t)
	if len(c.Tactics) != 16 || len(c.Techniques) != 170 || c.Version != "5.6.0" {
		t.Fatalf("%s: %d tactics, %d techniques", c.Version, len(c.Tactics), len(c.Techniques))
	}
	if tq := c.Techniques["AML.T0051.000"]; tq.Parent != "AML.T0051" || len(tq.Tactics) == 0 {
		t.Fatalf("sub-technique: %+v", tq)
	}
	if len(c.Mitigations["AML.M0015"]) == 0 {
		t.Fatal("mitigation AML.M0015 addresses no technique")
	}
}

func TestSimulateCampaign_DefencesDecideEachStep(t *testing.T) {
	c := atlas(t)
	campaign := []string{"AML.T0040", "AML.T0051.000", "AML.T0057"}
	none, err := SimulateCampaign(c, campaign, nil)
	if err != nil || !none.GetsThrough || none.Coverage != 0 || none.Steps[1].Outcome != Undetected {
		t.Fatalf("without defences: %+v %v", none, err)
	}
	alert := GuardrailDefence("g1", "inj", "injection", "alert")
	r, _ := SimulateCampaign(c, campaign, []Defence{alert})
	if !r.GetsThrough || r.Steps[1].Outcome != Detected || r.Coverage != 1.0/3 {
		t.Fatalf("an alerting guardrail: %+v", r)
	}
	block := GuardrailDefence("g1", "inj", "injection", "block")
	r, _ = SimulateCampaign(c, campaign, []Defence{block})
	if r.GetsThrough || r.StoppedAt == nil || *r.StoppedAt != 1 || r.Steps[1].Outcome != Stopped {
		t.Fatalf("a blocking guardrail: %+v", r)
	}
	ctl, ok := ControlDefence(c, "c1", "Adversarial input detection", "Implements AML.M0015.", "implemented")
	if !ok {
		t.Fatal("an implemented control citing a mitigation covers nothing")
	}
	if _, ok := ControlDefence(c, "c1", "x", "AML.M0015", "planned"); ok {
		t.Fatal("a planned control counts")
	}
	r, _ = SimulateCampaign(c, []string{"AML.T0043"}, []Defence{ctl})
	if r.Steps[0].Outcome != Detected {
		t.Fatalf("control through its mitigation: %+v", r)
	}
	if _, err := SimulateCampaign(c, []string{"AML.T9999"}, nil); !errors.Is(err, ErrInvalidCampaign) {
		t.Fatalf("unknown technique: %v", err)
	}
}
