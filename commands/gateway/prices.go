package gateway

import (
	"context"
	"fmt"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// priceState is a tenant's price stream folded: the models it prices.
type priceState struct{ models map[string]bool }

var priceFold = func() *eventstore.Fold[priceState] {
	f := eventstore.NewFold[priceState]()
	eventstore.On(f, gw.ModelPriceSet, func(s *priceState, d *gw.ModelPriceSetV1, _ *eventstore.Event) {
		if s.models == nil {
			s.models = map[string]bool{}
		}
		s.models[d.Model] = true
	})
	eventstore.On(f, gw.ModelPriceRemoved, func(s *priceState, d *gw.ModelPriceRemovedV1, _ *eventstore.Event) {
		delete(s.models, d.Model)
	})
	return f
}()

// SetPrice sets a tenant's price of a model (normalised), replacing the
// default for it.
type SetPrice struct {
	Price gw.Price
}

// SetPrice handles SetPrice. A model id that cannot name a model, a
// negative price, or a tenant past MaxTenantPrices is gw.ErrPriceInvalid.
func (h *Handlers) SetPrice(ctx context.Context, meta eventstore.Metadata, cmd SetPrice) ([]eventstore.Event, error) {
	p := cmd.Price
	m, err := gw.PriceKey(p.Model)
	if err != nil {
		return nil, &gw.InvalidPriceError{Field: "model", Problem: "a model id (printable characters, at most 200 of them)"}
	}
	if p.InputPerMillion < 0 || p.OutputPerMillion < 0 || p.InputPerMillion > 1e6 || p.OutputPerMillion > 1e6 {
		return nil, &gw.InvalidPriceError{Field: "input_per_million", Problem: "prices from 0 to 1000000 USD per million tokens"}
	}
	return eventstore.Update(ctx, h.Store, meta, priceFold, gw.StreamOfPrices(meta.TenantID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[priceState]) (eventstore.Decision, error) {
			if !a.State.models[m] && len(a.State.models) >= gw.MaxTenantPrices {
				return nil, &gw.InvalidPriceError{Field: "model", Problem: fmt.Sprintf("one of at most %d priced models (remove one first)", gw.MaxTenantPrices)}
			}
			return one(gw.ModelPriceSet, m, &gw.ModelPriceSetV1{TenantID: meta.TenantID, Model: m,
				InputPerMillion: p.InputPerMillion, OutputPerMillion: p.OutputPerMillion}), nil
		})
}

// RemovePrice removes a tenant's price of a model.
type RemovePrice struct {
	Model string
}

// RemovePrice handles RemovePrice: a model the tenant set no price for is
// gw.ErrPriceNotFound.
func (h *Handlers) RemovePrice(ctx context.Context, meta eventstore.Metadata, cmd RemovePrice) ([]eventstore.Event, error) {
	m, err := gw.PriceKey(cmd.Model)
	if err != nil {
		return nil, gw.ErrPriceNotFound
	}
	return eventstore.Update(ctx, h.Store, meta, priceFold, gw.StreamOfPrices(meta.TenantID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[priceState]) (eventstore.Decision, error) {
			if !a.State.models[m] {
				return nil, gw.ErrPriceNotFound
			}
			return one(gw.ModelPriceRemoved, m, &gw.ModelPriceRemovedV1{TenantID: meta.TenantID, Model: m}), nil
		})
}

// ConfigureMock turns the built-in mock provider on or off for a tenant.
type ConfigureMock struct {
	Enabled bool
}

// ConfigureMock handles ConfigureMock.
func (h *Handlers) ConfigureMock(ctx context.Context, meta eventstore.Metadata, cmd ConfigureMock) ([]eventstore.Event, error) {
	return h.record(ctx, meta, gw.StreamOfMock(meta.TenantID), one(gw.MockConfigured, meta.TenantID,
		&gw.MockConfiguredV1{TenantID: meta.TenantID, Enabled: cmd.Enabled}))
}
