// Package trust serves the composite trust score, its pillars, history and
// explanation, and the decay and weight configuration.
package trust

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	cmdtrust "github.com/astrabastion/astra/commands/trust"
	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmtrust "github.com/astrabastion/astra/projections/trust"
)

// API serves the trust routes.
type API struct {
	Commands *cmdtrust.Handlers
	Queries  *rmtrust.Queries
	Writes   *writes.Kit
}

// Pillar is one pillar of the current score; Score is null while unknown.
type Pillar struct {
	Score   *float64 `json:"score"`
	Weight  float64  `json:"weight"`
	Source  string   `json:"source"`
	Status  string   `json:"status"` // known | unknown
	Signals int      `json:"signals"`
}

// Current is the answer of GET /trust/scores/current (the seed's shape).
type Current struct {
	TenantID string `json:"tenant_id"`
	// Composite is the composite score, 0 to 100; null while no pillar is known.
	Composite *float64 `json:"composite"`
	// CompositeScore is the same value under the name the first clients read.
	CompositeScore     *float64          `json:"composite_score"`
	Grade              string            `json:"grade"`
	Pillars            map[string]Pillar `json:"pillars"`
	Trend              string            `json:"trend"`
	LastRecalculatedAt *time.Time        `json:"last_recalculated_at"`
	DecayModel         string            `json:"decay_model"`
	ComputedAt         time.Time         `json:"computed_at"`
}

// Mover is a signal with its current effect.
type Mover struct {
	trust.Signal
	Effect float64 `json:"current_effect"`
}

// PillarDetail is a pillar with its recent signals.
type PillarDetail struct {
	Name     string         `json:"name"`
	Pillar   Pillar         `json:"pillar"`
	Decay    DecayParams    `json:"decay"`
	Recent   []trust.Signal `json:"recent_signals"`
	Computed time.Time      `json:"computed_at"`
}

// DecayParams are one pillar's decay parameters in JSON-friendly units.
type DecayParams struct {
	HalfLifeHours float64 `json:"half_life_hours" validate:"min=0.02,max=87600"`
	Floor         float64 `json:"floor" validate:"min=0,max=100"`
}

// DecayBody is the decay configuration.
type DecayBody struct {
	Model   string                 `json:"model" validate:"required,oneof=exponential none"`
	Pillars map[string]DecayParams `json:"pillars" validate:"required"`
}

// WeightsBody are the pillar weights (sum 1).
type WeightsBody struct {
	Weights map[string]float64 `json:"weights" validate:"required"`
}

// Routes declares the trust routes.
func (a *API) Routes() []platform.Route {
	period := []platform.Param{{Name: "from", Description: "Start of the period", Schema: "date-time"}, {Name: "to", Description: "End of the period (excluded)", Schema: "date-time"}}
	return []platform.Route{
		{Method: http.MethodGet, Path: "/api/v1/trust/scores/current", OperationID: "currentTrustScore", Tag: "trust", Summary: "Composite score, grade, five pillars, trend",
			Permission: "trust:read", Response: Current{}, Handler: a.current},
		{Method: http.MethodGet, Path: "/api/v1/trust/scores/history", OperationID: "trustHistory", Tag: "trust",
			Summary:    "Score history at hour, day or week granularity, newest bucket first (default period: 7 days, 90 days, a year)",
			Permission: "trust:read", Response: rmtrust.Point{}, List: true, Handler: a.history,
			Query: append([]platform.Param{{Name: "granularity", Description: "Bucket of a point (default hour)", Schema: "string", Enum: rmtrust.Granularities}}, period...)},
		{Method: http.MethodGet, Path: "/api/v1/trust/signals", OperationID: "trustSignals", Tag: "trust", Summary: "The signals recorded for the pillars, newest first",
			Permission: "trust:read", Response: trust.Signal{}, List: true, Handler: a.signals,
			Query: append([]platform.Param{{Name: "pillar", Description: "Only this pillar's signals", Schema: "string", Enum: trust.Pillars}},
				platform.Param{Name: "from", Description: "Signals at or after", Schema: "date-time"}, platform.Param{Name: "to", Description: "Signals before", Schema: "date-time"})},
		{Method: http.MethodGet, Path: "/api/v1/trust/scores/explain", OperationID: "trustExplain", Tag: "trust",
			Summary:    "The signals that moved the score most in a period, most first: the top N, a complete list never paged",
			Permission: "trust:read", Response: Mover{}, List: true, Complete: true, Handler: a.explain,
			Query: append([]platform.Param{{Name: "limit", Schema: "integer", Description: "How many movers, 1 to 100 (default 10)."}}, period...)},
		{Method: http.MethodPost, Path: "/api/v1/trust/scores/recalculate", OperationID: "recalculateTrust", Tag: "trust", Summary: "Recompute now (records trust.ScoreUpdated)",
			Permission: "trust:write", Response: Current{}, Handler: a.recalculate},
		{Method: http.MethodGet, Path: "/api/v1/trust/pillars", OperationID: "trustPillars", Tag: "trust", Summary: "The five pillars, a complete list never paged",
			Permission: "trust:read", Response: PillarDetail{}, List: true, Complete: true, Handler: a.pillars},
		{Method: http.MethodGet, Path: "/api/v1/trust/pillars/:pillar", OperationID: "trustPillar", Tag: "trust", Summary: "One pillar with its contributing signals",
			Permission: "trust:read", Response: PillarDetail{}, Handler: a.pillar, Errors: []int{404}},
		{Method: http.MethodGet, Path: "/api/v1/trust/decay", OperationID: "trustDecay", Tag: "trust", Summary: "Decay model, half-life and floor per pillar",
			Permission: "trust:read", Response: DecayBody{}, Handler: a.getDecay},
		{Method: http.MethodPut, Path: "/api/v1/trust/decay", OperationID: "setTrustDecay", Tag: "trust", Summary: "Configure decay",
			Permission: "trust:admin", Request: DecayBody{}, Response: DecayBody{}, Handler: a.putDecay},
		{Method: http.MethodGet, Path: "/api/v1/trust/weights", OperationID: "trustWeights", Tag: "trust", Summary: "Pillar weights",
			Permission: "trust:read", Response: WeightsBody{}, Handler: a.getWeights},
		{Method: http.MethodPut, Path: "/api/v1/trust/weights", OperationID: "setTrustWeights", Tag: "trust", Summary: "Configure pillar weights (sum 1)",
			Permission: "trust:admin", Request: WeightsBody{}, Response: WeightsBody{}, Handler: a.putWeights},
	}
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

func (a *API) now() time.Time {
	if a.Commands.Now != nil {
		return a.Commands.Now().UTC()
	}
	return time.Now().UTC()
}

func render(tenantID string, sc trust.Score, snap *trust.Snapshot, trend string) Current {
	out := Current{TenantID: tenantID, Grade: sc.Grade, Pillars: map[string]Pillar{}, Trend: trend, DecayModel: snap.Decay.Model, ComputedAt: sc.At}
	if sc.Known {
		v := sc.Composite
		out.Composite, out.CompositeScore = &v, &v
	}
	for _, p := range trust.Pillars {
		ps := sc.Pillars[p]
		pl := Pillar{Weight: ps.Weight, Source: ps.Source, Status: "unknown", Signals: ps.Signals}
		if ps.Known {
			v := ps.Score
			pl.Score, pl.Status = &v, "known"
		}
		out.Pillars[p] = pl
	}
	if snap.Last != nil {
		at := snap.Last.At
		out.LastRecalculatedAt = &at
	}
	return out
}

func (a *API) current(c echo.Context) error {
	ctx := c.Request().Context()
	now := a.now()
	snap, prev, err := a.Queries.Current(ctx, tenant(c), now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	sc := trust.Compose(snap.States, snap.Weights, snap.Decay, now)
	trend := "0.0"
	if sc.Known && prev != nil {
		trend = fmt.Sprintf("%+.1f", sc.Composite-*prev)
	}
	return platform.Respond(c, http.StatusOK, render(tenant(c), sc, snap, trend))
}

func period(c echo.Context, def time.Duration, now time.Time) (time.Time, time.Time, error) {
	from, to, err := platform.QueryPeriod(c)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	f, t := now.Add(-def), now.Add(time.Minute)
	if from != nil {
		f = *from
	}
	if to != nil {
		t = *to
	}
	if !t.After(f) {
		return f, t, platform.Problem("VAL-005", "to must be after from.")
	}
	return f, t, nil
}

func (a *API) history(c echo.Context) error {
	g := c.QueryParam("granularity")
	if g == "" {
		g = "hour"
	}
	def := map[string]time.Duration{"hour": 7 * 24 * time.Hour, "day": 90 * 24 * time.Hour, "week": 365 * 24 * time.Hour}
	f, t, err := period(c, def[g], a.now()) // g is one of rmtrust.Granularities: the route checked it
	if err != nil {
		return err
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[rmtrust.Point], error) {
		return a.Queries.History(c.Request().Context(), tenant(c), g, f, t, p)
	})
}

func (a *API) signals(c echo.Context) error {
	f := rmtrust.SignalFilter{Pillar: c.QueryParam("pillar")}
	from, to, err := platform.QueryPeriod(c)
	if err != nil {
		return err
	}
	if from != nil {
		f.From = *from
	}
	if to != nil {
		f.To = *to
	}
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[trust.Signal], error) {
		return a.Queries.SignalPage(c.Request().Context(), tenant(c), f, p)
	})
}

func (a *API) explain(c echo.Context) error {
	now := a.now()
	f, t, err := period(c, 30*24*time.Hour, now)
	if err != nil {
		return err
	}
	limit, err := platform.QueryInt(c, "limit", 10, 1, 100)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	snap, err := a.Queries.Snapshot(ctx, tenant(c))
	if err != nil {
		return err
	}
	sigs, err := a.Queries.Signals(ctx, tenant(c), "", f, t, 20000)
	if err != nil {
		return err
	}
	top := trust.TopMovers(sigs, snap.Decay, now, limit)
	out := make([]Mover, 0, len(top))
	for _, s := range top {
		d := snap.Decay.Pillars[s.Pillar]
		out = append(out, Mover{Signal: s, Effect: math.Round((trust.Decayed(s.Score, s.At, now, d, snap.Decay.Model)-d.Floor)*100) / 100})
	}
	return platform.RespondComplete(c, out)
}

func (a *API) recalculate(c echo.Context) error {
	_, evs, err := a.Commands.Recalculate(c.Request().Context(), cmdtrust.Recalculate{TenantID: tenant(c), Force: true, Reason: "recalculate"})
	if err != nil {
		return err
	}
	a.Writes.Await(c, evs, rmtrust.Name)
	return a.current(c)
}

func (a *API) detail(c echo.Context, name string, sc trust.Score, snap *trust.Snapshot) (PillarDetail, error) {
	now := a.now()
	cur := render(tenant(c), sc, snap, "")
	d := snap.Decay.Pillars[name]
	recent, err := a.Queries.Signals(c.Request().Context(), tenant(c), name, now.Add(-365*24*time.Hour), now.Add(time.Minute), 20)
	return PillarDetail{Name: name, Pillar: cur.Pillars[name], Decay: DecayParams{HalfLifeHours: d.HalfLife.Hours(), Floor: d.Floor},
		Recent: recent, Computed: now}, err
}

func (a *API) pillars(c echo.Context) error {
	sc, snap, err := a.Commands.Compute(c.Request().Context(), tenant(c), a.now())
	if err != nil {
		return err
	}
	var out []PillarDetail
	for _, p := range trust.Pillars {
		d, err := a.detail(c, p, sc, snap)
		if err != nil {
			return err
		}
		out = append(out, d)
	}
	return platform.RespondComplete(c, out)
}

func (a *API) pillar(c echo.Context) error {
	name := c.Param("pillar")
	if _, ok := trust.Sources[name]; !ok {
		return trust.ErrPillarNotFound
	}
	sc, snap, err := a.Commands.Compute(c.Request().Context(), tenant(c), a.now())
	if err != nil {
		return err
	}
	d, err := a.detail(c, name, sc, snap)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, d)
}

func decayBody(cfg trust.DecayConfig) DecayBody {
	out := DecayBody{Model: cfg.Model, Pillars: map[string]DecayParams{}}
	for p, d := range cfg.Pillars {
		out.Pillars[p] = DecayParams{HalfLifeHours: d.HalfLife.Hours(), Floor: d.Floor}
	}
	return out
}

func (a *API) getDecay(c echo.Context) error {
	snap, err := a.Queries.Snapshot(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, decayBody(snap.Decay))
}

func (a *API) putDecay(c echo.Context) error {
	var req DecayBody
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	cfg := trust.DecayConfig{Model: req.Model, Pillars: map[string]trust.Decay{}}
	for p, d := range req.Pillars {
		cfg.Pillars[p] = trust.Decay{HalfLife: time.Duration(d.HalfLifeHours * float64(time.Hour)), Floor: d.Floor}
	}
	evs, err := a.Commands.ConfigureDecay(c.Request().Context(), writes.Metadata(c), cmdtrust.ConfigureDecay{Config: cfg})
	return a.Writes.Then(c, evs, err, rmtrust.Name, func() error { return a.getDecay(c) })
}

func (a *API) getWeights(c echo.Context) error {
	snap, err := a.Queries.Snapshot(c.Request().Context(), tenant(c))
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, WeightsBody{Weights: snap.Weights})
}

func (a *API) putWeights(c echo.Context) error {
	var req WeightsBody
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	evs, err := a.Commands.ConfigureWeights(c.Request().Context(), writes.Metadata(c), cmdtrust.ConfigureWeights{Weights: req.Weights})
	return a.Writes.Then(c, evs, err, rmtrust.Name, func() error { return a.getWeights(c) })
}
