// Package bastionai holds BASTION AI's reactors: what a data subject's
// erasure and a retention run do to the retrieval index (documents removed,
// their keys destroyed).
package bastionai

import (
	"context"
	"errors"

	cmd "github.com/astrabastion/astra/commands/bastionai"
	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	rm "github.com/astrabastion/astra/projections/bastionai"
	"github.com/astrabastion/astra/reactors"
)

// Retention removes from the index the documents a Data Governance
// retention run of bastion_ai/assistant_documents found older than its
// cutoff (DocumentRemoved, reason retention, keys destroyed). Documents
// indexed after the plan was made are younger than the cutoff and stay.
func Retention(commands *cmd.Handlers, queries *rm.Queries) reactors.Reactor {
	return reactors.Reactor{Name: "bastion_ai_retention", Module: bastionai.Module, Scope: reactors.Shared, Types: []events.Type{datagov.RetentionEnforced},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d datagov.RetentionEnforcedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			if d.DataClass != datagov.ClassAssistantDocuments {
				return nil
			}
			ids, err := queries.DocumentIDsBefore(ctx, e.TenantID, d.Cutoff)
			if err != nil {
				return err
			}
			return remove(ctx, commands, e, ids, bastionai.RemovedRetention)
		}}
}

// remove removes documents as an effect of e (idempotent).
func remove(ctx context.Context, commands *cmd.Handlers, e *eventstore.Event, ids []string, reason string) error {
	meta := eventstore.Metadata{TenantID: e.TenantID, Actor: e.Actor, CorrelationID: e.CorrelationID, CausationID: e.ID.String()}
	for _, id := range ids {
		if _, err := commands.RemoveDocument(ctx, meta, cmd.RemoveDocument{ID: id, Reason: reason}); err != nil &&
			!errors.Is(err, bastionai.ErrDocumentNotFound) {
			return err
		}
	}
	return nil
}

// Erasure removes from the index every document an erased subject's
// principals uploaded (DocumentRemoved, reason erasure). Their
// conversations need nothing: they are sealed under the user's own key,
// which the erasure destroyed. Removing a removed document records nothing,
// so a redelivery changes nothing.
func Erasure(commands *cmd.Handlers, queries *rm.Queries) reactors.Reactor {
	return reactors.Reactor{Name: "bastion_ai_erasure", Module: bastionai.Module, Scope: reactors.Shared, Types: []events.Type{datagov.SubjectErased},
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var d datagov.SubjectErasedV1
			if err := e.Decode(&d); err != nil {
				return err
			}
			if len(d.Principals) == 0 {
				return nil
			}
			ids, err := queries.DocumentsBy(ctx, e.TenantID, d.Principals)
			if err != nil {
				return err
			}
			return remove(ctx, commands, e, ids, bastionai.RemovedErasure)
		}}
}
