package aegis

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/shadow"
	"github.com/astrabastion/astra/eventstore"
)

// ShadowFindingID is the id of a tenant's finding of a service host and
// source: later logs add to the same finding.
func ShadowFindingID(tenant, serviceHost, source string) string {
	return uuid.NewSHA1(namespace, []byte("shadow|"+tenant+"|"+serviceHost+"|"+source)).String()
}

// Attributed is a group with what the tenant knows of it.
type Attributed struct {
	shadow.Group
	// Attribution is shadow, sanctioned or agent.
	Attribution string
	AgentID     string
}

// RecordShadowLog records one ingested log: a ShadowAiDetected per group
// (into the finding of its service host and source) and ShadowAiLogIngested.
type RecordShadowLog struct {
	IngestID string
	Format   string
	Stats    shadow.Stats
	Groups   []Attributed
}

// severityOf rates a finding: direct API use past the gateway is the most
// serious, then consumer apps and coding assistants, then agents; traffic
// the tenant sanctioned or its agents make is low.
func severityOf(g Attributed) string {
	if g.Attribution != "shadow" {
		return "low"
	}
	switch g.Service.Category {
	case shadow.CategoryProviderAPI:
		return "high"
	case shadow.CategoryConsumerApp, shadow.CategoryCoding:
		return "medium"
	}
	return "low"
}

// RecordShadowLog appends the log's events in one transaction.
func (h *Handlers) RecordShadowLog(ctx context.Context, meta eventstore.Metadata, c RecordShadowLog) ([]eventstore.Event, error) {
	appends := make([]eventstore.StreamAppend, 0, len(c.Groups)+1)
	for _, g := range c.Groups {
		id := ShadowFindingID(meta.TenantID, g.ServiceHost, g.Source)
		appends = append(appends, eventstore.StreamAppend{StreamID: aegis.StreamOfShadowFinding(id), Expected: eventstore.AnyVersion,
			Events: []eventstore.Draft{{ID: uuid.NewSHA1(namespace, []byte("shadow-ingest|"+c.IngestID+"|"+id)), Type: aegis.ShadowAiDetected, Subject: id,
				Data: &aegis.ShadowAiDetectedV1{FindingID: id, TenantID: meta.TenantID, IngestID: c.IngestID, Service: g.Service.Name,
					ServiceHost: g.ServiceHost, Category: g.Service.Category, Source: g.Source, Attribution: g.Attribution, AgentID: g.AgentID,
					MatchedBy: g.MatchedBy, FirstSeen: g.FirstSeen, LastSeen: g.LastSeen, Requests: g.Requests, Bytes: g.Bytes, Severity: severityOf(g)}}}})
	}
	errs := c.Stats.Errors
	if errs == nil {
		errs = []string{}
	}
	appends = append(appends, eventstore.StreamAppend{StreamID: aegis.StreamOfShadowIngest(c.IngestID), Expected: eventstore.NoStream,
		Events: []eventstore.Draft{{Type: aegis.ShadowAiLogIngested, Subject: c.IngestID, Data: &aegis.ShadowAiLogIngestedV1{IngestID: c.IngestID,
			Format: c.Format, Lines: c.Stats.Lines, Matched: c.Stats.Matched, Malformed: c.Stats.Malformed, Errors: errs, Findings: len(c.Groups)}}}})
	return h.Store.Append(ctx, meta, appends...)
}

// shadowFinding is a finding's state as triage decides on it.
type shadowFinding struct {
	ID, TenantID, State string
}

var shadowFindings = func() *eventstore.Fold[shadowFinding] {
	f := eventstore.NewFold[shadowFinding]()
	eventstore.On(f, aegis.ShadowAiDetected, func(s *shadowFinding, d *aegis.ShadowAiDetectedV1, _ *eventstore.Event) {
		if s.ID == "" {
			s.ID, s.TenantID, s.State = d.FindingID, d.TenantID, aegis.ShadowDetected
		}
	})
	eventstore.On(f, aegis.ShadowAiTriaged, func(s *shadowFinding, d *aegis.ShadowAiTriagedV1, _ *eventstore.Event) { s.State = d.To })
	return f
}()

// TriageShadowFinding moves a finding through its lifecycle.
type TriageShadowFinding struct {
	ID, To, Note string
}

// TriageShadowFinding records ShadowAiTriaged (nothing when it is so already).
func (h *Handlers) TriageShadowFinding(ctx context.Context, meta eventstore.Metadata, c TriageShadowFinding) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, shadowFindings, aegis.StreamOfShadowFinding(c.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[shadowFinding]) (eventstore.Decision, error) {
			if a.State.ID == "" || a.State.TenantID != meta.TenantID {
				return nil, aegis.ErrShadowFindingNotFound
			}
			if c.To == aegis.ShadowDetected || !slices.Contains(aegis.ShadowStates, c.To) {
				return nil, fmt.Errorf("%w: state: one of sanctioned, unsanctioned, blocked", aegis.ErrInvalidShadow)
			}
			if a.State.State == c.To {
				return nil, nil
			}
			return eventstore.Decision{{Type: aegis.ShadowAiTriaged, Subject: c.ID,
				Data: &aegis.ShadowAiTriagedV1{FindingID: c.ID, From: a.State.State, To: c.To, Note: c.Note}}}, nil
		})
}
