package app

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// topicsOnly is a projection that applies the gateway's request records
// from the topics it names.
type topicsOnly []string

func (p topicsOnly) Name() string                                                  { return "requests_demo" }
func (p topicsOnly) Topics() []string                                              { return p }
func (p topicsOnly) Types() []events.Type                                          { return []events.Type{gw.RequestCompleted} }
func (topicsOnly) Setup(context.Context, pgx.Tx, string) error                     { return nil }
func (topicsOnly) Apply(context.Context, pgx.Tx, string, []eventstore.Event) error { return nil }

// A projection of a traffic type must consume both topics its records may be
// on: the traffic topic, and its module's, which holds the older ones.
func TestCheckSubscriptions_ATrafficTypeNeedsBothItsTopics(t *testing.T) {
	if err := checkSubscriptions([]projections.Projection{topicsOnly{"astra.gateway.traffic"}}); err == nil ||
		!strings.Contains(err.Error(), "does not consume astra.gateway") {
		t.Fatalf("the traffic topic alone: %v", err)
	}
	if err := checkSubscriptions([]projections.Projection{topicsOnly{"astra.gateway"}}); err == nil ||
		!strings.Contains(err.Error(), "does not consume astra.gateway.traffic") {
		t.Fatalf("the module topic alone: %v", err)
	}
	if err := checkSubscriptions([]projections.Projection{topicsOnly{"astra.gateway.traffic", "astra.gateway"}}); err != nil {
		t.Fatalf("both topics: %v", err)
	}
}
