// Package datagov holds the command handlers of Data Governance: one small
// named command type per change, each decided by one handler on the kit's
// load → decide → append path (eventstore.Update / Create). What the module
// needs of other modules (the people IAM knows and their erasure, what each
// module holds about a person, the gateway's content log) reaches it through
// the small interfaces below, wired by the composition root.
package datagov

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/datagov/openlineage"
	"github.com/astrabastion/astra/eventstore"
)

// People is what Data Governance needs of identity: finding a tenant's user
// (personal fields opened) and erasing one through IAM's own erasure.
type People interface {
	// Person finds the tenant's user by id, or by e-mail address when id is
	// empty; nil when there is none.
	Person(ctx context.Context, tenantID, userID, email string) (*datagov.Person, error)
	// Erase crypto-shreds the user (IAM's erase-user: the user's data key is
	// destroyed, UserErased recorded, the address claim released).
	Erase(ctx context.Context, meta eventstore.Metadata, userID, email string) ([]eventstore.Event, error)
}

// ContentLog is what retention and erasure read of the gateway's request log.
type ContentLog interface {
	// ContentMonths counts the request records with kept content per content
	// key, of the given principals (every principal when nil).
	ContentMonths(ctx context.Context, tenantID string, principals []string) ([]datagov.MonthContent, error)
}

// Replays are the answers the write path keeps for Idempotency-Key retries.
type Replays interface {
	// ForgetMentions deletes the tenant's kept answers that mention any of
	// the values and returns how many.
	ForgetMentions(ctx context.Context, tenantID string, values []string) (int, error)
}

// Lineage is what retention reads of the lineage read model.
type Lineage interface {
	// RunsBefore counts the recorded run events older than cutoff, with the
	// first and last event time.
	RunsBefore(ctx context.Context, tenantID string, cutoff time.Time) (int, *time.Time, *time.Time, error)
}

// Documents is what retention reads of BASTION AI's retrieval index.
type Documents interface {
	// DocumentsBefore counts the indexed documents older than cutoff, with
	// the first and last indexing time.
	DocumentsBefore(ctx context.Context, tenantID string, cutoff time.Time) (int, *time.Time, *time.Time, error)
}

// Handlers executes Data Governance commands.
type Handlers struct {
	Store      *eventstore.Store
	Keys       *eventstore.Keyring
	Classifier *datagov.Classifier
	Validator  *openlineage.Validator
	Signer     *datagov.ArchiveSigner
	// HashKey keys the references of subjects known by e-mail address only.
	HashKey []byte
	People  People
	Content ContentLog
	Lineage Lineage
	// Documents is nil when BASTION AI is not started.
	Documents Documents
	Replays   Replays
	// Holders are what every module holds about a person (access exports).
	Holders []datagov.Holder
	// Now is the clock of commands that compare dates; time.Now when nil.
	Now eventstore.Clock
}

// RegisterDataset records a dataset of the inventory.
type RegisterDataset struct {
	Name, Description, Owner, System, Location string
	Columns                                    []datagov.Column
	LawfulBasis, RetentionClass                string
}

// RegisterDataset records DatasetRegistered.
func (h *Handlers) RegisterDataset(ctx context.Context, meta eventstore.Metadata, c RegisterDataset) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := datagov.NewDataset(datagov.DatasetRegisteredV1{DatasetID: id, TenantID: meta.TenantID, Name: c.Name, Description: c.Description,
		Owner: c.Owner, System: c.System, Location: c.Location, Columns: c.Columns, LawfulBasis: c.LawfulBasis, RetentionClass: c.RetentionClass})
	if err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, datagov.StreamOfDataset(id), eventstore.Draft{Type: datagov.DatasetRegistered, Subject: id, Data: d})
	return id, evs, err
}

// datasets folds a dataset's stream: its tenant.
var datasets = eventstore.On(eventstore.NewFold[string](), datagov.DatasetRegistered,
	func(s *string, d *datagov.DatasetRegisteredV1, _ *eventstore.Event) { *s = d.TenantID })

// Classify classifies text or column samples, and records the result for a
// dataset when DatasetID is set (samples themselves are never recorded).
type Classify struct {
	DatasetID string
	Text      string
	Columns   map[string][]string
}

// Classified is the outcome of Classify.
type Classified struct {
	Classification datagov.Classification
	Columns        []datagov.ColumnFindings
	Entities       []datagov.Entity
	Events         []eventstore.Event
}

// Classify runs the gateway's PII engine over the input; with a dataset it
// records DatasetClassified on the dataset's stream.
func (h *Handlers) Classify(ctx context.Context, meta eventstore.Metadata, c Classify) (*Classified, error) {
	var out Classified
	switch {
	case c.Text != "" && len(c.Columns) > 0:
		return nil, fmt.Errorf("%w: give text or columns, not both", datagov.ErrInvalidSamples)
	case c.Text != "":
		if c.DatasetID != "" {
			return nil, fmt.Errorf("%w: a dataset is classified from column samples", datagov.ErrInvalidSamples)
		}
		out.Classification, out.Entities = h.Classifier.Text(c.Text)
		out.Columns = []datagov.ColumnFindings{}
		return &out, nil
	}
	if err := datagov.CheckColumns(c.Columns); err != nil {
		return nil, err
	}
	out.Classification, out.Columns = h.Classifier.Columns(c.Columns)
	out.Entities = []datagov.Entity{}
	if c.DatasetID == "" {
		return &out, nil
	}
	var err error
	out.Events, err = eventstore.Update(ctx, h.Store, meta, datasets, datagov.StreamOfDataset(c.DatasetID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[string]) (eventstore.Decision, error) {
			if a.State == "" || a.State != meta.TenantID {
				return nil, datagov.ErrDatasetNotFound
			}
			return eventstore.Decision{{Type: datagov.DatasetClassified, Subject: c.DatasetID, Data: &datagov.DatasetClassifiedV1{
				DatasetID: c.DatasetID, TenantID: meta.TenantID, Classification: out.Classification, Columns: out.Columns}}}, nil
		})
	return &out, err
}

// RecordLineage records one OpenLineage run event, as sent.
type RecordLineage struct {
	RunEvent []byte
}

// RecordLineage validates the event against the OpenLineage schema and
// records LineageRecorded on the run's stream.
func (h *Handlers) RecordLineage(ctx context.Context, meta eventstore.Metadata, c RecordLineage) ([]eventstore.Event, *openlineage.RunEvent, error) {
	ev, err := h.Validator.Parse(c.RunEvent)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", datagov.ErrInvalidLineage, err)
	}
	d := &datagov.LineageRecordedV1{TenantID: meta.TenantID, EventType: ev.EventType, EventTime: ev.EventTime.UTC(), RunID: ev.Run.RunID,
		JobNamespace: ev.Job.Namespace, JobName: ev.Job.Name, RunEvent: c.RunEvent}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: datagov.StreamOfRun(meta.TenantID, ev.Run.RunID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: datagov.LineageRecorded, Subject: ev.Run.RunID, Data: d}}})
	return evs, ev, err
}

// DeriveKeys derives from the master key the key of e-mail references and
// the seed of the archive signing key (stable across restarts and instances).
func DeriveKeys(kek []byte) (hashKey, signingSeed []byte) {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, kek)
		m.Write([]byte(purpose))
		return m.Sum(nil)
	}
	return derive("astra/data_gov/subject-reference"), derive("astra/data_gov/archive-signing")
}
