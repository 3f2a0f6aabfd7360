package app

import (
	"context"
	"net/http"

	cmdrisk "github.com/astrabastion/astra/commands/risk"
	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/http/platform"
	httprisk "github.com/astrabastion/astra/http/risk"
	"github.com/astrabastion/astra/projections"
	rmrisk "github.com/astrabastion/astra/projections/risk"
)

// The risk register with FAIR Monte Carlo simulation.
func init() {
	register(Module{
		Name: "risk",
		Tags: map[string]string{
			"risk": "The risk register with FAIR Monte Carlo simulation, threats, heat map and portfolio loss exceedance.",
		},
		Order: 50,
		Errors: platform.Codes{
			"RSK-001": platform.Entry(http.StatusNotFound, "Risk not found", "No risk with that id exists in the tenant."),
			"RSK-002": platform.Entry(http.StatusConflict, "Risk closed", "The risk is closed and cannot change."),
			"RSK-003": platform.Entry(http.StatusUnprocessableEntity, "Invalid FAIR inputs", "The FAIR model is unusable (frequency, vulnerability or magnitude ranges)."),
			"RSK-004": platform.Entry(http.StatusConflict, "No FAIR inputs", "The risk has no FAIR model to simulate."),
			"RSK-005": platform.Entry(http.StatusNotFound, "Simulation not found", "No simulation with that id exists in the tenant."),
		},
		DomainErrors: []platform.DomainError{
			{Err: risk.ErrRiskNotFound, Code: "RSK-001", Detail: "No such risk in this tenant."},
			{Err: risk.ErrRiskClosed, Code: "RSK-002", Detail: "The risk is closed."},
			{Err: risk.ErrInvalidRisk, Code: "VAL-001", Detail: "Likelihood and impact are 1 to 5; treatment is mitigate, accept, transfer or avoid."},
			// The FAIR error's text names the unusable part of the model.
			{Err: risk.ErrInvalidInputs, Code: "RSK-003"},
			{Err: risk.ErrNoFairInputs, Code: "RSK-004", Detail: "Set the risk's FAIR inputs first (PUT /risk/risks/{id}/fair)."},
			{Err: risk.ErrSimulationNotFound, Code: "RSK-005", Detail: "No such simulation in this tenant."},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmrisk.Projection{}} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			queries := &rmrisk.Queries{Runner: rt.Stack.Runner}
			api := &httprisk.API{Commands: &cmdrisk.Handlers{Store: rt.Stack.Store}, Queries: queries, Writes: rt.Writes}
			return &Parts{Routes: api.Routes(), Holder: queries}, nil
		},
	})
}
