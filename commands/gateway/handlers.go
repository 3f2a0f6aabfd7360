// Package gateway holds the command handlers of the AI gateway's
// administration: providers, versioned policies, kill switches, budgets, cache
// and detector settings. Each command is a small named type with one handler;
// every handler that decides goes through eventstore.Update or Create (load →
// decide → append with the version the decision was based on), so a stale
// If-Match or a lost race is eventstore.ErrVersionMismatch and a domain
// refusal is one of domain/gateway's sentinel errors.
package gateway

import (
	"context"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// Handlers executes gateway commands.
type Handlers struct {
	Store *eventstore.Store
	Keys  *eventstore.Keyring
}

// one is a decision of a single event about subject.
func one(t events.Type, subject string, data any) eventstore.Decision {
	return eventstore.Decision{{Type: t, Subject: subject, Data: data}}
}

// stale reports an If-Match version (expected) that is not the current one;
// eventstore.AnyVersion (no If-Match) is never stale.
func stale(expected, current int64) bool {
	return expected != eventstore.AnyVersion && expected != current
}

// record appends facts that need no decision (settings that simply replace
// the previous ones, a purge that already happened) to a stream of the
// tenant, whatever its version: nothing about the stream's past could refuse
// them, so there is nothing to load.
func (h *Handlers) record(ctx context.Context, meta eventstore.Metadata, stream string, d eventstore.Decision) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: stream, Expected: eventstore.AnyVersion, Events: d})
}
