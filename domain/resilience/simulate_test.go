package resilience

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/domain/risk"
)

func graph() *cybertwins.Graph {
	assets := []cybertwins.Asset{{ID: "app", Name: "app", Type: "application", Criticality: 5}, {ID: "svc", Name: "svc", Type: "service"},
		{ID: "llm", Name: "llm", Type: "provider"}, {ID: "store", Name: "store", Type: "vector_store"}, {ID: "docs", Name: "docs", Type: "dataset"},
		{ID: "idp", Name: "idp", Type: "identity"}, {ID: "other", Name: "other", Type: "service"}}
	links := []cybertwins.Link{
		{Source: "app", Target: "svc", Type: "calls", Exploitability: 1}, {Source: "svc", Target: "llm", Type: "calls", Exploitability: 1},
		{Source: "store", Target: "docs", Type: "stores", Exploitability: 1}, {Source: "svc", Target: "docs", Type: "connects_to", Exploitability: 1},
		{Source: "svc", Target: "idp", Type: "trusts", Exploitability: 1}, {Source: "idp", Target: "store", Type: "has_access", Exploitability: 1},
	}
	return cybertwins.NewGraphOf(assets, links)
}

func pert(min, mode, max float64) risk.Magnitude {
	return risk.Magnitude{Model: risk.MagnitudePERT, Min: min, Mode: mode, Max: max}
}

func TestSimulate_OutagesSpreadToDependentsAgainstTheirObjectives(t *testing.T) {
	res, err := Simulate(graph(), []Disruption{{AssetID: "llm", Kind: Outage, Recovery: pert(100, 200, 300)}},
		map[string]Objective{"app": {RTO: 200, RPO: 60}, "other": {RTO: 1, RPO: 1}}, 20_000, 7)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, im := range res.Impacted {
		ids = append(ids, im.AssetID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"app", "llm", "svc"}) || res.WithObjectives != 1 {
		t.Fatalf("impacted %v (%d with objectives)", ids, res.WithObjectives)
	}
	app := res.Impacted[0]
	// PERT(100, 200, 300) is symmetric: half the draws pass 200 s.
	if app.AssetID != "app" || app.PBreachRTO == nil || math.Abs(*app.PBreachRTO-0.5) > 0.02 || app.DataLoss != nil {
		t.Fatalf("app: %+v", app)
	}
	if math.Abs(app.Downtime.Mean-200) > 3 || app.Downtime.Max > 300 || math.Abs(res.Score-100*(1-*app.PBreachRTO)) > 1e-9 {
		t.Fatalf("downtime %+v score %v", app.Downtime, res.Score)
	}
}

func TestSimulate_CorruptionLosesDataAgainstRPOAndCompromiseSpreads(t *testing.T) {
	res, err := Simulate(graph(), []Disruption{{AssetID: "store", Kind: Corruption, Recovery: pert(10, 20, 30), BackupIntervalSeconds: 1000}},
		map[string]Objective{"docs": {RTO: 3600, RPO: 250}}, 20_000, 9)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Impact{}
	for _, im := range res.Impacted {
		byID[im.AssetID] = im
	}
	docs := byID["docs"]
	// The data since the last save (uniform over 1,000 s) is lost: P(> 250 s) = 0.75.
	if docs.PBreachRPO == nil || math.Abs(*docs.PBreachRPO-0.75) > 0.02 || *docs.PBreachRTO != 0 || len(byID) != 4 {
		t.Fatalf("corruption: %+v (%d impacted)", docs, len(byID))
	}
	// The identity's compromise reaches what it has access to and what trusts it.
	res, err = Simulate(graph(), []Disruption{{AssetID: "idp", Kind: Compromise, Recovery: pert(10, 20, 30)}}, nil, 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	compromised := map[string]bool{}
	for _, im := range res.Impacted {
		compromised[im.AssetID] = im.Compromised
	}
	if !compromised["idp"] || !compromised["store"] || !compromised["svc"] || compromised["app"] || res.Score != 100 {
		t.Fatalf("compromise: %v", compromised)
	}
	if _, err := Simulate(graph(), []Disruption{{AssetID: "gone", Kind: Outage, Recovery: pert(1, 2, 3)}}, nil, 1000, 1); !errors.Is(err, ErrInvalidScenario) {
		t.Fatalf("unknown asset: %v", err)
	}
}
