// Package compliance holds the command handlers of the Compliance module:
// one small named command type per change, each decided by one handler on
// the kit's load → decide → append path (eventstore.Update / Create).
package compliance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/astrabastion/astra/blobstore"
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/compliance/catalogue"
	"github.com/astrabastion/astra/domain/compliance/oscal"
	"github.com/astrabastion/astra/eventstore"
)

// Catalogue is what commands read of the frameworks a tenant sees (built in
// and imported): the read model answers it.
type Catalogue interface {
	// FrameworkHeader returns a framework without its tree and its number of
	// assessable requirements; compliance.ErrFrameworkNotFound when unseen.
	FrameworkHeader(ctx context.Context, tenant, id string) (compliance.Framework, int, error)
	// Requirement returns one requirement; compliance.ErrUnknownRequirement when absent.
	Requirement(ctx context.Context, tenant, frameworkID, id string) (compliance.Requirement, error)
}

// URLGuard checks an outbound URL (the product's SSRF rules, package netguard).
type URLGuard interface {
	CheckURL(ctx context.Context, raw string) error
}

// Handlers executes compliance commands.
type Handlers struct {
	Store     *eventstore.Store
	Catalogue Catalogue
	// Catalogs keeps imported frameworks' trees; Evidence keeps evidence files.
	Catalogs, Evidence *blobstore.Store
	Guard              URLGuard
	// Now is the clock of commands that compare dates (evidence expiry); time.Now when nil.
	Now eventstore.Clock
}

// ImportLimits bound an OSCAL import: the whole NIST SP 800-53 r5 catalog
// (about 10 MB of JSON) fits; a hostile document is refused before it costs more.
var ImportLimits = oscal.Limits{MaxBytes: 20 << 20}

// ImportFramework imports an OSCAL catalog document for the tenant.
type ImportFramework struct {
	Document io.Reader
}

// Imported is the outcome of ImportFramework.
type Imported struct {
	FrameworkID string
	Events      []eventstore.Event
}

// imports folds an import stream: whether it exists.
var imports = eventstore.On(eventstore.NewFold[bool](), compliance.FrameworkImported,
	func(s *bool, _ *compliance.FrameworkImportedV1, _ *eventstore.Event) { *s = true })

// ImportFramework parses the document (nothing is stored when it is refused),
// keeps the framework tree as a blob and records FrameworkImported.
func (h *Handlers) ImportFramework(ctx context.Context, meta eventstore.Metadata, c ImportFramework) (*Imported, error) {
	doc := bufio.NewReader(c.Document)
	format := oscal.Sniff(doc)
	f, err := oscal.Parse(doc, ImportLimits)
	if err != nil {
		return nil, err
	}
	if _, builtin := catalogue.ByID(f.ID); builtin {
		return nil, fmt.Errorf("%w: %s", compliance.ErrFrameworkExists, f.ID)
	}
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	d := compliance.Imported(meta.TenantID, f, format)
	evs, err := eventstore.Update(ctx, h.Store, meta, imports, compliance.StreamOfImport(meta.TenantID, f.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[bool]) (eventstore.Decision, error) {
			if a.State {
				return nil, fmt.Errorf("%w: %s", compliance.ErrFrameworkExists, f.ID)
			}
			// The blob first: an event never names content that is not stored.
			if d.BlobSHA256, d.BlobSize, err = h.Catalogs.Put(ctx, bytes.NewReader(raw), int64(len(raw))); err != nil {
				return nil, err
			}
			return eventstore.Decision{{Type: compliance.FrameworkImported, Subject: f.ID, Data: d}}, nil
		})
	if err != nil {
		return nil, err
	}
	return &Imported{FrameworkID: f.ID, Events: evs}, nil
}

// AdoptFramework adopts a framework (built in or imported) for the tenant.
// Adopting it again changes nothing and is no error.
type AdoptFramework struct {
	FrameworkID string
}

var adoptions = eventstore.On(eventstore.NewFold[bool](), compliance.FrameworkAdopted,
	func(s *bool, _ *compliance.FrameworkAdoptedV1, _ *eventstore.Event) { *s = true })

// AdoptFramework records FrameworkAdopted once per tenant and framework; the
// events are empty when it was adopted already.
func (h *Handlers) AdoptFramework(ctx context.Context, meta eventstore.Metadata, c AdoptFramework) ([]eventstore.Event, error) {
	if _, _, err := h.Catalogue.FrameworkHeader(ctx, meta.TenantID, c.FrameworkID); err != nil {
		return nil, err
	}
	return eventstore.Update(ctx, h.Store, meta, adoptions, compliance.StreamOfAdoption(meta.TenantID, c.FrameworkID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[bool]) (eventstore.Decision, error) {
			if a.State {
				return nil, nil
			}
			return eventstore.Decision{{Type: compliance.FrameworkAdopted, Subject: c.FrameworkID,
				Data: &compliance.FrameworkAdoptedV1{FrameworkID: c.FrameworkID, TenantID: meta.TenantID}}}, nil
		})
}

// CreateControl records a tenant control.
type CreateControl struct {
	Name, Description, Owner, Status string
	Requirements                     []compliance.Ref
}

// checkRefs refuses references to frameworks or requirements the tenant does
// not see, or that are not assessable (compliance.CheckRefs).
func (h *Handlers) checkRefs(ctx context.Context, tenant string, refs []compliance.Ref) error {
	return compliance.CheckRefs(refs, func(ref compliance.Ref) (compliance.Requirement, error) {
		if _, _, err := h.Catalogue.FrameworkHeader(ctx, tenant, ref.Framework); err != nil {
			// %v, not %w: the reference is what is invalid (CMP-004), not the path (CMP-001).
			return compliance.Requirement{}, fmt.Errorf("%s: no such framework in this tenant (%v)", ref, err)
		}
		return h.Catalogue.Requirement(ctx, tenant, ref.Framework, ref.Requirement)
	})
}

// CreateControl records ControlCreated.
func (h *Handlers) CreateControl(ctx context.Context, meta eventstore.Metadata, c CreateControl) (string, []eventstore.Event, error) {
	id := eventstore.NewID()
	d, err := compliance.NewControl(id, meta.TenantID, compliance.ControlCreatedV1{Name: c.Name, Description: c.Description, Owner: c.Owner,
		Status: c.Status, Requirements: c.Requirements})
	if err != nil {
		return "", nil, err
	}
	if err := h.checkRefs(ctx, meta.TenantID, d.Requirements); err != nil {
		return "", nil, err
	}
	evs, err := eventstore.Create(ctx, h.Store, meta, compliance.StreamOfControl(id), eventstore.Draft{Type: compliance.ControlCreated, Subject: id, Data: d})
	return id, evs, err
}

// UpdateControl changes a control (nil fields stay).
type UpdateControl struct {
	ID       string
	Expected int64
	Change   compliance.ControlUpdatedV1
}

// controls folds a control's stream: its tenant.
var controls = eventstore.On(eventstore.NewFold[string](), compliance.ControlCreated,
	func(s *string, d *compliance.ControlCreatedV1, _ *eventstore.Event) { *s = d.TenantID })

// UpdateControl records ControlUpdated.
func (h *Handlers) UpdateControl(ctx context.Context, meta eventstore.Metadata, c UpdateControl) ([]eventstore.Event, error) {
	ch := c.Change
	if err := compliance.CheckControlChange(ch); err != nil {
		return nil, err
	}
	if ch.Requirements != nil {
		if err := h.checkRefs(ctx, meta.TenantID, *ch.Requirements); err != nil {
			return nil, err
		}
	}
	return eventstore.Update(ctx, h.Store, meta, controls, compliance.StreamOfControl(c.ID), c.Expected,
		func(a *eventstore.Aggregate[string]) (eventstore.Decision, error) {
			if !a.Exists() || a.State != meta.TenantID {
				return nil, compliance.ErrControlNotFound
			}
			ch.ControlID = c.ID
			return eventstore.Decision{{Type: compliance.ControlUpdated, Subject: c.ID, Data: &ch}}, nil
		})
}
