// Package commands holds what every module's command handlers share with
// their callers at the edge: the metadata a write carries and the events it
// appended. The edge (http) names them here, not in eventstore, whose
// storage it must not reach (decision 0015); they are the same types, so
// values pass through unchanged.
package commands

import "github.com/astrabastion/astra/eventstore"

// Metadata is what a write records besides its events: the acting tenant,
// the actor and the correlation of the request.
type Metadata = eventstore.Metadata

// Event is one event a command appended; a write waits for the read models
// to reach it (read-your-writes).
type Event = eventstore.Event
