package aegis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/mcp"
	"github.com/astrabastion/astra/eventstore"
)

// mcpServers folds an MCP server's stream.
var mcpServers = func() *eventstore.Fold[aegis.McpServer] {
	f := eventstore.NewFold[aegis.McpServer]()
	eventstore.On(f, aegis.McpServerRegistered, func(s *aegis.McpServer, d *aegis.McpServerRegisteredV1, _ *eventstore.Event) { s.Registered(d) })
	eventstore.On(f, aegis.McpServerUpdated, func(s *aegis.McpServer, d *aegis.McpServerUpdatedV1, _ *eventstore.Event) { s.Updated(d) })
	eventstore.On(f, aegis.McpServerApprovalChanged, func(s *aegis.McpServer, d *aegis.McpServerApprovalChangedV1, _ *eventstore.Event) {
		s.ApprovalChanged(d)
	})
	eventstore.On(f, aegis.McpToolsPinned, func(s *aegis.McpServer, d *aegis.McpToolsPinnedV1, _ *eventstore.Event) { s.Pinned(d) })
	eventstore.On(f, aegis.McpToolDrift, func(*aegis.McpServer, *aegis.McpToolDriftV1, *eventstore.Event) {})
	eventstore.On(f, aegis.McpServerRemoved, func(s *aegis.McpServer, _ *aegis.McpServerRemovedV1, _ *eventstore.Event) { s.Removed = true })
	return f
}()

// RegisterMcpServer records a server, quarantined until approved.
type RegisterMcpServer struct {
	Profile aegis.McpServerProfile
}

// RegisterMcpServer records McpServerRegistered; it returns the new server's id.
func (h *Handlers) RegisterMcpServer(ctx context.Context, meta eventstore.Metadata, c RegisterMcpServer) (string, []eventstore.Event, error) {
	p := c.Profile
	if err := aegis.CheckServerProfile(&p); err != nil {
		return "", nil, err
	}
	id := newID()
	evs, err := eventstore.Create(ctx, h.Store, meta, aegis.StreamOfMcpServer(id), eventstore.Draft{Type: aegis.McpServerRegistered, Subject: id,
		Data: &aegis.McpServerRegisteredV1{ServerID: id, TenantID: meta.TenantID, McpServerProfile: p, ApprovalState: aegis.ApprovalQuarantined}})
	return id, evs, err
}

// UpdateMcpServer changes a server's profile and/or its approval. Tools,
// when not nil, is what the server offers now (fetched by the caller for an
// approval): it is pinned before the approval is decided.
type UpdateMcpServer struct {
	ID                            string
	Expected                      int64
	Name, Description, URL, Trust *string
	Approval                      *string
	Reason                        string
	ApproveFlagged                bool
	Tools                         []mcp.Tool
	Now                           time.Time
}

// UpdateMcpServer records McpServerUpdated, McpToolsPinned (+ McpToolDrift)
// and McpServerApprovalChanged as they apply.
func (h *Handlers) UpdateMcpServer(ctx context.Context, meta eventstore.Metadata, c UpdateMcpServer) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, mcpServers, aegis.StreamOfMcpServer(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.McpServer]) (eventstore.Decision, error) {
			s := a.State
			if !s.Live(meta.TenantID) {
				return nil, mcp.ErrServerNotFound
			}
			var out eventstore.Decision
			if c.Name != nil || c.Description != nil || c.URL != nil || c.Trust != nil {
				p := s.McpServerProfile
				for _, f := range []struct{ dst, v *string }{{&p.Name, c.Name}, {&p.Description, c.Description}, {&p.URL, c.URL}, {&p.TrustLevel, c.Trust}} {
					if f.v != nil {
						*f.dst = *f.v
					}
				}
				if err := aegis.CheckServerProfile(&p); err != nil {
					return nil, err
				}
				d := &aegis.McpServerUpdatedV1{ServerID: c.ID, Name: c.Name, Description: c.Description, URL: c.URL, TrustLevel: c.Trust,
					ApprovalState: s.ApprovalState}
				if c.URL != nil && *c.URL != s.URL {
					d.ApprovalState = aegis.ApprovalQuarantined // another endpoint is another server
				}
				s.Updated(d)
				out = append(out, eventstore.Draft{Type: aegis.McpServerUpdated, Subject: c.ID, Data: d})
			}
			if c.Tools != nil {
				pinned, drifts := pinTools(&s, c.Tools, "approval")
				out = append(out, pinned...)
				out = append(out, drifts...)
			}
			if c.Approval != nil {
				d, err := s.Approve(meta.TenantID, *c.Approval, c.Reason, meta.Actor, c.ApproveFlagged, c.Now)
				if err != nil {
					return nil, err
				}
				if d != nil {
					out = append(out, eventstore.Draft{Type: aegis.McpServerApprovalChanged, Subject: c.ID, Data: d})
				}
			}
			return out, nil
		})
}

// pinTools reconciles the offered tools with the server's pins: the new
// inventory when it changed, and a drift event per tool that moved away
// from its approved pin. It applies the inventory to s.
func pinTools(s *aegis.McpServer, offered []mcp.Tool, source string) (pinned, drifts eventstore.Decision) {
	table, ds := mcp.Reconcile(s.Tools, offered, mcp.ScanTool)
	same := len(table) == len(s.Tools)
	for _, p := range table {
		old, ok := s.Tools[p.Tool.Name]
		if !ok || old.Hash != p.Hash || old.State != p.State {
			same = false
		}
	}
	if same {
		return nil, nil
	}
	d := &aegis.McpToolsPinnedV1{ServerID: s.ID, Source: source, Tools: table, ScannerVersion: mcp.ScannerVersion}
	s.Pinned(d)
	pinned = eventstore.Decision{{Type: aegis.McpToolsPinned, Subject: s.ID, Data: d}}
	for _, dr := range ds {
		drifts = append(drifts, eventstore.Draft{Type: aegis.McpToolDrift, Subject: s.ID,
			Data: &aegis.McpToolDriftV1{ServerID: s.ID, Drift: dr, Findings: s.Tools[dr.Tool].Findings}})
	}
	return pinned, drifts
}

// PinMcpTools records what a server offers now (a scan, or a list the proxy fetched).
type PinMcpTools struct {
	ID     string
	Tools  []mcp.Tool
	Source string
}

// PinMcpTools records McpToolsPinned and McpToolDrift when anything changed.
func (h *Handlers) PinMcpTools(ctx context.Context, meta eventstore.Metadata, c PinMcpTools) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, mcpServers, aegis.StreamOfMcpServer(c.ID), eventstore.AnyVersion,
		func(a *eventstore.Aggregate[aegis.McpServer]) (eventstore.Decision, error) {
			s := a.State
			if !s.Live(meta.TenantID) {
				return nil, mcp.ErrServerNotFound
			}
			pinned, drifts := pinTools(&s, c.Tools, c.Source)
			return append(pinned, drifts...), nil
		})
}

// RemoveMcpServer removes a server.
type RemoveMcpServer struct {
	ID       string
	Expected int64
}

// RemoveMcpServer records McpServerRemoved.
func (h *Handlers) RemoveMcpServer(ctx context.Context, meta eventstore.Metadata, c RemoveMcpServer) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, mcpServers, aegis.StreamOfMcpServer(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.McpServer]) (eventstore.Decision, error) {
			if !a.State.Live(meta.TenantID) {
				return nil, mcp.ErrServerNotFound
			}
			return eventstore.Decision{{Type: aegis.McpServerRemoved, Subject: c.ID, Data: &aegis.McpServerRemovedV1{ServerID: c.ID}}}, nil
		})
}

// mcpRules folds a firewall rule's stream.
var mcpRules = func() *eventstore.Fold[aegis.McpRule] {
	f := eventstore.NewFold[aegis.McpRule]()
	versioned := func(s *aegis.McpRule, d *aegis.McpRuleVersionedV1, _ *eventstore.Event) { s.Versioned(d) }
	eventstore.On(f, aegis.McpRuleCreated, versioned)
	eventstore.On(f, aegis.McpRuleUpdated, versioned)
	eventstore.On(f, aegis.McpRuleDeleted, func(s *aegis.McpRule, _ *aegis.McpRuleDeletedV1, _ *eventstore.Event) { s.Deleted = true })
	return f
}()

// CreateMcpRule records a firewall rule.
type CreateMcpRule struct {
	Spec mcp.RuleSpec
}

// CreateMcpRule records McpRuleCreated; it returns the rule's id.
func (h *Handlers) CreateMcpRule(ctx context.Context, meta eventstore.Metadata, c CreateMcpRule) (string, []eventstore.Event, error) {
	sp := c.Spec
	if err := mcp.Validate(&sp); err != nil {
		return "", nil, err
	}
	id := newID()
	evs, err := eventstore.Create(ctx, h.Store, meta, aegis.StreamOfMcpRule(id), eventstore.Draft{Type: aegis.McpRuleCreated, Subject: id,
		Data: &aegis.McpRuleVersionedV1{RuleID: id, TenantID: meta.TenantID, Version: 1, Rule: sp}})
	return id, evs, err
}

// UpdateMcpRule records a rule's next version: Change gets the current spec and returns the new one.
type UpdateMcpRule struct {
	ID       string
	Expected int64
	Change   func(mcp.RuleSpec) mcp.RuleSpec
}

// UpdateMcpRule records McpRuleUpdated.
func (h *Handlers) UpdateMcpRule(ctx context.Context, meta eventstore.Metadata, c UpdateMcpRule) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, mcpRules, aegis.StreamOfMcpRule(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.McpRule]) (eventstore.Decision, error) {
			if !a.State.Live(meta.TenantID) {
				return nil, mcp.ErrRuleNotFound
			}
			sp := c.Change(a.State.Spec)
			if err := mcp.Validate(&sp); err != nil {
				return nil, err
			}
			return eventstore.Decision{{Type: aegis.McpRuleUpdated, Subject: c.ID,
				Data: &aegis.McpRuleVersionedV1{RuleID: c.ID, TenantID: meta.TenantID, Version: a.State.Version + 1, Rule: sp}}}, nil
		})
}

// DeleteMcpRule removes a firewall rule.
type DeleteMcpRule struct {
	ID       string
	Expected int64
}

// DeleteMcpRule records McpRuleDeleted.
func (h *Handlers) DeleteMcpRule(ctx context.Context, meta eventstore.Metadata, c DeleteMcpRule) ([]eventstore.Event, error) {
	return eventstore.Update(ctx, h.Store, meta, mcpRules, aegis.StreamOfMcpRule(c.ID), c.Expected,
		func(a *eventstore.Aggregate[aegis.McpRule]) (eventstore.Decision, error) {
			if !a.State.Live(meta.TenantID) {
				return nil, mcp.ErrRuleNotFound
			}
			return eventstore.Decision{{Type: aegis.McpRuleDeleted, Subject: c.ID, Data: &aegis.McpRuleDeletedV1{RuleID: c.ID}}}, nil
		})
}

// StartMcpSession records a proxy session.
type StartMcpSession struct {
	Session aegis.McpSessionStartedV1
}

// StartMcpSession records McpSessionStarted.
func (h *Handlers) StartMcpSession(ctx context.Context, meta eventstore.Metadata, c StartMcpSession) ([]eventstore.Event, error) {
	d := c.Session
	return eventstore.Create(ctx, h.Store, meta, aegis.StreamOfMcpSession(d.SessionID), eventstore.Draft{Type: aegis.McpSessionStarted, Subject: d.SessionID, Data: &d})
}

// EndMcpSession records McpSessionEnded.
func (h *Handlers) EndMcpSession(ctx context.Context, meta eventstore.Metadata, sessionID string) ([]eventstore.Event, error) {
	return h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: aegis.StreamOfMcpSession(sessionID), Expected: eventstore.AnyVersion,
		Events: []eventstore.Draft{{Type: aegis.McpSessionEnded, Subject: sessionID, Data: &aegis.McpSessionEndedV1{SessionID: sessionID}}}})
}

// RecordMcpDecisions records decisions of one tenant, each in its own
// stream, relaxed (as the gateway's request records: the proxy does not
// wait for their WAL flush). Arguments are sealed under the tenant's
// monthly content key before they are written.
func (h *Handlers) RecordMcpDecisions(ctx context.Context, meta eventstore.Metadata, ds []aegis.McpDecisionV1, args []map[string]any) ([]eventstore.Event, error) {
	appends := make([]eventstore.StreamAppend, 0, len(ds))
	for i := range ds {
		d := ds[i]
		if i < len(args) && args[i] != nil && h.Keys != nil {
			raw, _ := json.Marshal(args[i])
			sealed, err := h.Keys.Seal(ctx, meta.TenantID, McpArgumentsSubject(meta.TenantID, d.At), string(raw))
			if err != nil {
				return nil, err
			}
			d.Arguments = sealed
		}
		t := aegis.McpCallAllowed
		if d.Blocked() {
			t = aegis.McpCallBlocked
		}
		appends = append(appends, eventstore.StreamAppend{StreamID: aegis.StreamOfMcpDecision(d.DecisionID), Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{ID: uuid.MustParse(d.DecisionID), Type: t, Subject: d.ServerID, Data: &d}}})
	}
	return h.Store.AppendRelaxed(ctx, meta, appends...)
}

// McpArgumentsSubject is the data key subject of a tenant's recorded MCP
// call arguments for a month: erasing it (retention) makes them unreadable.
func McpArgumentsSubject(tenant string, at time.Time) string {
	return "mcp-args:" + tenant + ":" + at.UTC().Format("2006-01")
}

// OpenArguments reads sealed call arguments back (nil when erased or absent).
func (h *Handlers) OpenArguments(ctx context.Context, sealed string) map[string]any {
	if sealed == "" || h.Keys == nil {
		return nil
	}
	plain, err := h.Keys.Open(ctx, sealed)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(plain), &m) != nil {
		return nil
	}
	return m
}
