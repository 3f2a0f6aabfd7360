package datagov

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
)

// ReceiveDsar records a data subject request.
type ReceiveDsar struct {
	Type, Jurisdiction                string
	SubjectEmail, SubjectUserID, Name string
	Notes                             string
}

// ReceiveDsar records DsarReceived with its legal due date. A subject named
// by user id must be a user of the tenant; one named by e-mail address is
// matched to the tenant's user of that address when there is one. The
// subject's address and name are sealed under the subject's data key.
func (h *Handlers) ReceiveDsar(ctx context.Context, meta eventstore.Metadata, c ReceiveDsar) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := datagov.NewDsar(datagov.DsarReceivedV1{DsarID: id, TenantID: meta.TenantID, Type: c.Type, Jurisdiction: c.Jurisdiction,
		SubjectUserID: c.SubjectUserID, SubjectEmail: c.SubjectEmail, SubjectName: strings.TrimSpace(c.Name), Notes: c.Notes}, h.Now.Read())
	if err != nil {
		return "", nil, err
	}
	if d.SubjectUserID != "" {
		if _, err := uuid.Parse(d.SubjectUserID); err != nil {
			return "", nil, datagov.ErrSubjectUnknown
		}
	}
	p, err := h.People.Person(ctx, meta.TenantID, d.SubjectUserID, d.SubjectEmail)
	if err != nil {
		return "", nil, err
	}
	switch {
	case p == nil && d.SubjectUserID != "":
		return "", nil, datagov.ErrSubjectUnknown
	case p != nil:
		d.SubjectUserID = p.UserID
	}
	d.SubjectKey = datagov.SubjectKey(meta.TenantID, datagov.SubjectRef(h.HashKey, d.SubjectUserID, d.SubjectEmail), id)
	for _, f := range []*string{&d.SubjectEmail, &d.SubjectName} {
		if *f == "" {
			continue
		}
		if *f, err = h.Keys.Seal(ctx, meta.TenantID, d.SubjectKey, *f); err != nil {
			return "", nil, err
		}
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, datagov.StreamOfDsar(id), eventstore.Draft{Type: datagov.DsarReceived, Subject: id, Data: d})
	return id, evs, err
}

// dsars folds a request's stream.
var dsars = func() *eventstore.Fold[datagov.Dsar] {
	f := eventstore.NewFold[datagov.Dsar]()
	eventstore.On(f, datagov.DsarReceived, func(s *datagov.Dsar, d *datagov.DsarReceivedV1, _ *eventstore.Event) { s.Received(d) })
	eventstore.On(f, datagov.DsarIdentityVerified, func(s *datagov.Dsar, d *datagov.DsarIdentityVerifiedV1, _ *eventstore.Event) { s.Fold(d) })
	eventstore.On(f, datagov.DsarExtended, func(s *datagov.Dsar, d *datagov.DsarExtendedV1, _ *eventstore.Event) { s.Fold(d) })
	eventstore.On(f, datagov.DsarOverdue, func(s *datagov.Dsar, d *datagov.DsarOverdueV1, _ *eventstore.Event) { s.Fold(d) })
	eventstore.On(f, datagov.DsarRejected, func(s *datagov.Dsar, d *datagov.DsarRejectedV1, _ *eventstore.Event) { s.Fold(d) })
	eventstore.On(f, datagov.DsarFulfilled, func(s *datagov.Dsar, d *datagov.DsarFulfilledV1, _ *eventstore.Event) { s.Fold(d) })
	return f
}()

// decideDsar is the path of the requests' one-event decisions.
func decideDsar[T any](ctx context.Context, h *Handlers, meta eventstore.Metadata, id string, t events.Type,
	rule func(s *datagov.Dsar) (*T, error)) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, dsars, datagov.StreamOfDsar(id), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[datagov.Dsar]) (eventstore.Decision, error) {
			d, err := rule(&a.State)
			return eventstore.One(t, id, d, err)
		})
}

// VerifyIdentity records the outcome of the requester's identity check.
type VerifyIdentity struct {
	DsarID, State, Method, Note string
}

// VerifyIdentity records DsarIdentityVerified.
func (h *Handlers) VerifyIdentity(ctx context.Context, meta eventstore.Metadata, c VerifyIdentity) ([]eventstore.Event, error) {
	return decideDsar(ctx, h, meta, c.DsarID, datagov.DsarIdentityVerified, func(s *datagov.Dsar) (*datagov.DsarIdentityVerifiedV1, error) {
		return s.Verify(meta.TenantID, c.DsarID, c.State, c.Method, c.Note)
	})
}

// ExtendDsar extends a request's due date once, with a reason.
type ExtendDsar struct {
	DsarID, Reason string
}

// ExtendDsar records DsarExtended.
func (h *Handlers) ExtendDsar(ctx context.Context, meta eventstore.Metadata, c ExtendDsar) ([]eventstore.Event, error) {
	return decideDsar(ctx, h, meta, c.DsarID, datagov.DsarExtended, func(s *datagov.Dsar) (*datagov.DsarExtendedV1, error) {
		return s.Extend(meta.TenantID, c.DsarID, c.Reason)
	})
}

// RejectDsar closes a request without fulfilment.
type RejectDsar struct {
	DsarID, Reason string
}

// RejectDsar records DsarRejected.
func (h *Handlers) RejectDsar(ctx context.Context, meta eventstore.Metadata, c RejectDsar) ([]eventstore.Event, error) {
	return decideDsar(ctx, h, meta, c.DsarID, datagov.DsarRejected, func(s *datagov.Dsar) (*datagov.DsarRejectedV1, error) {
		return s.Reject(meta.TenantID, c.DsarID, c.Reason)
	})
}

// RaiseOverdue raises the overdue alert of a request past its due date.
type RaiseOverdue struct {
	DsarID, TenantID string
	Now              time.Time
}

// RaiseOverdue records DsarOverdue once per due date (the scan repeats).
func (h *Handlers) RaiseOverdue(ctx context.Context, c RaiseOverdue) ([]eventstore.Event, error) {
	meta := eventstore.Metadata{TenantID: c.TenantID, Actor: "system:data-gov-dsar-deadlines"}
	return decideDsar(ctx, h, meta, c.DsarID, datagov.DsarOverdue, func(s *datagov.Dsar) (*datagov.DsarOverdueV1, error) {
		return s.Overdue(c.TenantID, c.DsarID, c.Now), nil
	})
}

// FulfilDsar fulfils a request: access and portability hand out the signed
// archive, erasure crypto-shreds the subject, rectification records what was done.
type FulfilDsar struct {
	DsarID, Notes string
}

// Fulfilled is the outcome of FulfilDsar.
type Fulfilled struct {
	Events []eventstore.Event
	// Archive is the signed export of an access or portability request.
	Archive *datagov.SignedArchive
	// Certificate is the certificate of an erasure.
	Certificate *datagov.Certificate
}

// FulfilDsar fulfils the request by its type. A request whose identity check
// is pending is attested by whoever fulfils it (recorded first); one that
// failed the check is refused.
func (h *Handlers) FulfilDsar(ctx context.Context, meta eventstore.Metadata, c FulfilDsar) (*Fulfilled, error) {
	a, err := eventstore.Load(ctx, h.Store, dsars, datagov.StreamOfDsar(c.DsarID))
	if err != nil {
		return nil, err
	}
	attest, err := a.State.Fulfillable(meta.TenantID, c.DsarID)
	if err != nil {
		return nil, err
	}
	var drafts eventstore.Decision
	if attest != nil {
		drafts = append(drafts, eventstore.Draft{Type: datagov.DsarIdentityVerified, Subject: c.DsarID, Data: attest})
	}
	out := &Fulfilled{}
	done := &datagov.DsarFulfilledV1{DsarID: c.DsarID, Type: a.State.Type, Notes: c.Notes}
	switch a.State.Type {
	case datagov.DsarAccess, datagov.DsarPortability:
		archive, err := h.export(ctx, meta.TenantID, c.DsarID, &a.State)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(archive)
		if err != nil {
			return nil, err
		}
		signed := h.Signer.Sign(raw)
		out.Archive, done.Archive = &signed, signed.Receipt(archive)
		drafts = append(drafts, eventstore.Draft{Type: datagov.DsarFulfilled, Subject: c.DsarID, Data: done})
	case datagov.DsarErasure:
		erased, cert, err := h.erase(ctx, meta, c.DsarID, &a.State)
		if err != nil {
			return nil, err
		}
		out.Certificate = cert
		drafts = append(drafts, eventstore.Draft{Type: datagov.DsarFulfilled, Subject: c.DsarID, Data: done},
			eventstore.Draft{Type: datagov.SubjectErased, Subject: c.DsarID, Data: erased},
			eventstore.Draft{Type: datagov.ErasureCertificateIssued, Subject: c.DsarID, Data: &datagov.ErasureCertificateIssuedV1{DsarID: c.DsarID, Certificate: *cert}})
	default:
		drafts = append(drafts, eventstore.Draft{Type: datagov.DsarFulfilled, Subject: c.DsarID, Data: done})
	}
	evs, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: datagov.StreamOfDsar(c.DsarID), Expected: a.Version, Events: drafts})
	if _, stale := err.(*eventstore.ConcurrencyError); stale {
		return nil, eventstore.ErrVersionMismatch
	}
	out.Events = evs
	return out, err
}

// open opens a sealed field of the request ("" when absent or erased).
func (h *Handlers) open(ctx context.Context, sealed string) string {
	if sealed == "" {
		return ""
	}
	if v := h.Keys.MustOpen(ctx, sealed); v != eventstore.Erased {
		return v
	}
	return ""
}

// person is the request's subject: the tenant's user (fields opened), or
// someone known by address only.
func (h *Handlers) person(ctx context.Context, tenant string, s *datagov.Dsar) (*datagov.Person, error) {
	email := h.open(ctx, s.SubjectEmail)
	p, err := h.People.Person(ctx, tenant, s.SubjectUserID, email)
	if err != nil || p != nil {
		return p, err
	}
	return &datagov.Person{Email: email, Principals: []string{}}, nil
}

// maxArchiveEvents bounds the ledger events one export lists per principal.
const maxArchiveEvents = 100_000

// export gathers what every module holds about the subject, and the ledger
// events they caused or that are about them, with sealed fields opened.
func (h *Handlers) export(ctx context.Context, tenant, id string, s *datagov.Dsar) (*datagov.Archive, error) {
	p, err := h.person(ctx, tenant, s)
	if err != nil {
		return nil, err
	}
	archive := &datagov.Archive{Format: datagov.ArchiveFormat, DsarID: id, TenantID: tenant, Type: s.Type, GeneratedAt: h.Now.Read(),
		Subject: datagov.ArchiveSubject{UserID: p.UserID, Email: p.Email, Name: p.Name, Principals: p.Principals}, Sections: []datagov.Section{}}
	for _, holder := range h.Holders {
		secs, err := holder.Holdings(ctx, tenant, *p)
		if err != nil {
			return nil, err
		}
		archive.Sections = append(archive.Sections, secs...)
	}
	history, err := h.history(ctx, tenant, p)
	if err != nil {
		return nil, err
	}
	if history != nil {
		archive.Sections = append(archive.Sections, *history)
	}
	for i := range archive.Sections {
		for j, item := range archive.Sections[i].Items {
			archive.Sections[i].Items[j] = h.Keys.OpenJSON(ctx, item)
		}
	}
	return archive, nil
}

// ArchivedEvent is a ledger event of the subject as an export lists it.
type ArchivedEvent struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Time     time.Time       `json:"time"`
	StreamID string          `json:"stream_id"`
	Subject  string          `json:"subject"`
	Actor    string          `json:"actor"`
	Data     json.RawMessage `json:"data"`
}

// history lists the ledger events the subject's principals caused, and those
// about the user, in ledger order, without repeats.
func (h *Handlers) history(ctx context.Context, tenant string, p *datagov.Person) (*datagov.Section, error) {
	seen := map[int64]eventstore.Event{}
	var filters []eventstore.AuditFilter
	for _, pr := range p.Principals {
		filters = append(filters, eventstore.AuditFilter{TenantID: tenant, Actor: pr})
	}
	if p.UserID != "" {
		filters = append(filters, eventstore.AuditFilter{TenantID: tenant, Subject: p.UserID})
	}
	for _, f := range filters {
		for f.Limit = 5000; ; {
			evs, more, err := eventstore.QueryAudit(ctx, h.Store.Pool(), f)
			if err != nil {
				return nil, err
			}
			for _, e := range evs {
				seen[e.Position] = e
			}
			if !more || len(seen) >= maxArchiveEvents {
				break
			}
			f.After = evs[len(evs)-1].Position
		}
	}
	positions := make([]int64, 0, len(seen))
	for pos := range seen {
		positions = append(positions, pos)
	}
	slices.Sort(positions)
	items := make([]ArchivedEvent, 0, len(positions))
	for _, pos := range positions {
		e := seen[pos]
		items = append(items, ArchivedEvent{ID: e.ID.String(), Type: e.Type, Time: e.Time, StreamID: e.StreamID, Subject: e.Subject, Actor: e.Actor, Data: e.Data})
	}
	return datagov.NewSection("ledger", "events", items)
}

// erase crypto-shreds the subject: IAM's erasure of the user, then the keys of
// the subject's requests here; it returns SubjectErased and the certificate.
func (h *Handlers) erase(ctx context.Context, meta eventstore.Metadata, id string, s *datagov.Dsar) (*datagov.SubjectErasedV1, *datagov.Certificate, error) {
	p, err := h.person(ctx, meta.TenantID, s)
	if err != nil {
		return nil, nil, err
	}
	// What names the subject in plaintext, read before their keys are gone.
	mentions := []string{p.Email, p.Name, h.open(ctx, s.SubjectEmail), h.open(ctx, s.SubjectName)}
	retained, err := h.retainedRecords(ctx, meta.TenantID, p)
	if err != nil {
		return nil, nil, err
	}
	cert := &datagov.Certificate{DsarID: id, TenantID: meta.TenantID, SubjectUserID: p.UserID, IssuedAt: h.Now.Read(),
		Keys: []datagov.ShreddedKey{}, Sealed: []datagov.SealedCount{}, ReadModels: []datagov.ReadModelEffect{}}
	var principals []string
	months := []datagov.MonthContent{}
	if len(p.Principals) > 0 {
		principals = p.Principals
		if months, err = h.Content.ContentMonths(ctx, meta.TenantID, principals); err != nil {
			return nil, nil, err
		}
	}
	// Their principals first: from here on, what they left under the gateway's
	// shared content keys reads as erased in the audit trail and live stream.
	if err := h.Keys.WithdrawPrincipals(ctx, meta.TenantID, principals); err != nil {
		return nil, nil, err
	}
	var keys []string
	if p.UserID != "" {
		if _, err := h.People.Erase(ctx, meta, p.UserID, p.Email); err != nil {
			return nil, nil, err
		}
		keys = append(keys, p.UserID)
		cert.Keys = append(cert.Keys, datagov.ShreddedKey{Key: p.UserID, Module: "iam",
			Holds: "the user's e-mail address, name, password hash, MFA secret, and fields other modules seal under the user"})
		cert.ReadModels = append(cert.ReadModels, datagov.ReadModelEffect{Module: "iam", Rows: "users", Count: 1, Effect: "erased"})
	}
	// Every key of the subject's requests: by user, by address, and this request's own.
	prefixes := []string{}
	if p.UserID != "" {
		prefixes = append(prefixes, datagov.SubjectKeyPrefix(meta.TenantID, datagov.SubjectRef(h.HashKey, p.UserID, "")))
	}
	if p.Email != "" {
		prefixes = append(prefixes, datagov.SubjectKeyPrefix(meta.TenantID, datagov.EmailRef(h.HashKey, p.Email)))
	}
	requestKeys := []string{s.SubjectKey}
	for _, prefix := range prefixes {
		ks, err := h.Keys.Keys(ctx, meta.TenantID, prefix)
		if err != nil {
			return nil, nil, err
		}
		for _, k := range ks {
			requestKeys = append(requestKeys, k.Subject)
		}
	}
	for _, key := range dedupe(requestKeys) {
		if err := h.Keys.Erase(ctx, meta.TenantID, key); err != nil {
			return nil, nil, err
		}
		keys = append(keys, key)
		cert.Keys = append(cert.Keys, datagov.ShreddedKey{Key: key, Module: datagov.Module, Holds: "the subject's e-mail address and name in a data subject request"})
	}
	// Answers kept for retries may quote the subject (a user's creation).
	forgotten, err := h.Replays.ForgetMentions(ctx, meta.TenantID, mentions)
	if err != nil {
		return nil, nil, err
	}
	if forgotten > 0 {
		cert.ReadModels = append(cert.ReadModels, datagov.ReadModelEffect{Module: "platform", Rows: "answers kept for Idempotency-Key retries that quote the subject",
			Count: forgotten, Effect: "erased"})
	}
	sealed, err := eventstore.CountSealed(ctx, h.Store.Pool(), meta.TenantID, keys)
	if err != nil {
		return nil, nil, err
	}
	for t, n := range sealed {
		module, _, _ := strings.Cut(strings.TrimPrefix(t, "com.astra."), ".")
		cert.Sealed = append(cert.Sealed, datagov.SealedCount{Module: module, Type: t, Events: n})
	}
	slices.SortFunc(cert.Sealed, func(a, b datagov.SealedCount) int { return strings.Compare(a.Type, b.Type) })
	contentKeys, requests := []string{}, 0
	for _, m := range months {
		contentKeys, requests = append(contentKeys, m.Key), requests+m.Requests
	}
	if requests > 0 {
		cert.ReadModels = append(cert.ReadModels, datagov.ReadModelEffect{Module: "gateway", Rows: "request log prompt and completion of the subject's principals",
			Count: requests, Effect: "redacted"})
	}
	cert.Retained = append([]datagov.Retained{datagov.ContentRetained(contentKeys)}, retained...)
	if principals == nil {
		principals = []string{}
	}
	return &datagov.SubjectErasedV1{DsarID: id, TenantID: meta.TenantID, SubjectUserID: p.UserID, Keys: keys, Principals: principals}, cert, nil
}

// retainedKinds are the records of other modules an erasure keeps (see
// datagov.RecordsRetained); what else the holders list is shredded or redacted.
var retainedKinds = map[string]bool{"risks_owned": true, "controls_owned": true, "evidence_added": true}

// retainedRecords lists the records that name the subject outside sealed fields.
func (h *Handlers) retainedRecords(ctx context.Context, tenant string, p *datagov.Person) ([]datagov.Retained, error) {
	var out []datagov.Retained
	for _, holder := range h.Holders {
		secs, err := holder.Holdings(ctx, tenant, *p)
		if err != nil {
			return nil, err
		}
		for _, s := range secs {
			if retainedKinds[s.Kind] {
				out = append(out, datagov.RecordsRetained(s))
			}
		}
	}
	return out, nil
}

func dedupe(xs []string) []string {
	var out []string
	for _, x := range xs {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
