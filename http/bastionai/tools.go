package bastionai

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/domain/trust"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rm "github.com/astrabastion/astra/projections/bastionai"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	"github.com/astrabastion/astra/projections/ops"
	rmrisk "github.com/astrabastion/astra/projections/risk"
	rmtrust "github.com/astrabastion/astra/projections/trust"
)

// Posture is the read side the assistant's tools read: the other modules'
// own queries, run as the caller (their tenant, their permissions).
type Posture struct {
	Trust      *rmtrust.Queries
	Risk       *rmrisk.Queries
	Aegis      *rmaegis.Queries
	Compliance *rmcmp.Queries
	Gateway    *rmgw.Queries
	// Ledger reads the hash-chained events behind every record cited.
	Ledger *ops.Queries
	Index  *rm.Queries
}

// Asker is who asks: the tenant, the permissions they hold now, and the
// moment the question is about ("as of"; nil: now).
type Asker struct {
	TenantID    string
	Permissions []string
	AsOf        *time.Time
	Now         time.Time
}

// Tool is one typed read-only tool offered to the model.
type Tool struct {
	Name        string
	Description string
	// Permission is what the caller must hold for the tool to be offered
	// and to run.
	Permission string
	Parameters json.RawMessage
	Run        func(ctx context.Context, p *Posture, who Asker, args ToolArgs) (*ToolResult, error)
}

// ToolArgs are the arguments any tool takes (each tool reads its own).
type ToolArgs struct {
	AsOf     string `json:"as_of"`
	Status   string `json:"status"`
	Severity string `json:"severity"`
	Limit    int    `json:"limit"`
	Type     string `json:"type"`
	Subject  string `json:"subject"`
	Query    string `json:"query"`
}

// ToolResult is what a tool gives the model (Data) and the sources of it.
type ToolResult struct {
	Data      any
	Citations []bastionai.Citation
}

func schema(props string) json.RawMessage {
	return json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{` + props + `}}`)
}

const (
	asOfProp  = `"as_of":{"type":"string","format":"date-time","description":"Answer as of this moment (RFC 3339); omit for now"}`
	limitProp = `"limit":{"type":"integer","minimum":1,"maximum":50}`
)

// Tools are the assistant's tools over the tenant's read models.
var Tools = []Tool{
	{Name: "trust_score", Permission: "trust:read", Parameters: schema(asOfProp),
		Description: "The tenant's trust score (0-100), grade and pillars, and the signals that moved it most in the last 30 days; as_of gives the score recorded at that time.",
		Run:         trustScore},
	{Name: "risks", Permission: "risk:read", Parameters: schema(`"status":{"type":"string"},` + limitProp),
		Description: "The risk register (newest first) with each risk's latest FAIR simulation (mean annual loss expectancy).",
		Run:         risks},
	{Name: "alerts", Permission: "aegis:read", Parameters: schema(`"status":{"type":"string","enum":["open","acknowledged","resolved"]},"severity":{"type":"string","enum":["low","medium","high","critical"]},` + limitProp),
		Description: "AEGIS alerts, most recently raised first.",
		Run:         alerts},
	{Name: "compliance_posture", Permission: "compliance:read", Parameters: schema(""),
		Description: "Compliance posture per framework: adopted or not, latest completed and current assessment scores.",
		Run:         compliancePosture},
	{Name: "gateway_stats", Permission: "gateway:read", Parameters: schema(`"days":{"type":"integer","minimum":1,"maximum":90}`),
		Description: "AI gateway traffic of the last 7 days: requests, blocked, failed, tokens, cost.",
		Run:         gatewayStats},
	{Name: "audit_trail", Permission: "admin:read", Parameters: schema(`"type":{"type":"string","description":"Event type or prefix ending in '.'"},"subject":{"type":"string"},` + asOfProp + `,` + limitProp),
		Description: "The ledger's events (newest first, up to as_of when given), with their hashes.",
		Run:         auditTrail},
	{Name: "search_documents", Permission: "bastion_ai:read", Parameters: schema(`"query":{"type":"string"},` + limitProp),
		Description: "Full-text search over the tenant's indexed documents and the built-in framework requirements.",
		Run:         searchDocuments},
}

// ToolNames are the tools' names (the OpenAPI enum of tool calls).
func ToolNames() []string {
	out := make([]string, len(Tools))
	for i, t := range Tools {
		out[i] = t.Name
	}
	return out
}

// Allowed are the tools the permissions cover.
func Allowed(perms []string) []Tool {
	var out []Tool
	for _, t := range Tools {
		if iam.Has(perms, t.Permission) {
			out = append(out, t)
		}
	}
	return out
}

func toolByName(name string) (Tool, bool) {
	for _, t := range Tools {
		if t.Name == name {
			return t, true
		}
	}
	return Tool{}, false
}

// RunTool runs a tool the model called, as the asker: a tool the asker's
// permissions do not cover runs nothing and tells the model so.
func RunTool(ctx context.Context, p *Posture, who Asker, name, arguments string) (*ToolResult, bastionai.ToolUse, error) {
	use := bastionai.ToolUse{Name: name, Arguments: arguments}
	t, ok := toolByName(name)
	if !ok {
		return &ToolResult{Data: map[string]string{"error": "no such tool: " + name}}, use, nil
	}
	if !iam.Has(who.Permissions, t.Permission) {
		return &ToolResult{Data: map[string]string{"error": "permission denied: the user does not hold " + t.Permission}}, use, nil
	}
	use.Allowed = true
	var args ToolArgs
	if arguments != "" {
		if err := json.Unmarshal([]byte(arguments), &args); err != nil {
			return &ToolResult{Data: map[string]string{"error": "arguments are not a JSON object of the tool's parameters"}}, use, nil
		}
	}
	if args.AsOf != "" {
		at, err := time.Parse(time.RFC3339, args.AsOf)
		if err != nil {
			return &ToolResult{Data: map[string]string{"error": "as_of must be an RFC 3339 time"}}, use, nil
		}
		who.AsOf = &at
	}
	if args.Limit <= 0 || args.Limit > 50 {
		args.Limit = 10
	}
	res, err := t.Run(ctx, p, who, args)
	if err != nil {
		return nil, use, fmt.Errorf("bastion_ai: tool %s: %w", name, err)
	}
	use.Records = len(res.Citations)
	return res, use, nil
}

// ledger finds the latest events behind a record (newest first, at most n,
// at or before the asker's as_of).
func ledger(ctx context.Context, p *Posture, who Asker, f ops.AuditFilter, n int) ([]bastionai.LedgerRef, error) {
	f.TenantID = who.TenantID
	if who.AsOf != nil {
		to := who.AsOf.Add(time.Nanosecond)
		f.To = &to
	}
	page, err := p.Ledger.Audit(ctx, f, ops.NewestFirst, projections.PageRequest{Limit: n})
	if err != nil {
		return nil, err
	}
	out := make([]bastionai.LedgerRef, 0, len(page.Items))
	for _, e := range page.Items {
		out = append(out, bastionai.LedgerRef{EventID: e.ID, Type: e.Type, StreamID: e.PartitionKey, Version: e.StreamVersion,
			Position: e.Position, Hash: e.Hash, PrevHash: e.PrevHash})
	}
	return out, nil
}

// eventByID finds one event of the ledger by its id, type and time (a trust
// signal carries the id and time of the event that caused it).
func eventByID(ctx context.Context, p *Posture, tenantID, typ string, at time.Time, id string) ([]bastionai.LedgerRef, error) {
	from, to := at.Add(-time.Millisecond), at.Add(time.Millisecond)
	page, err := p.Ledger.Audit(ctx, ops.AuditFilter{TenantID: tenantID, Type: typ, From: &from, To: &to}, ops.NewestFirst, projections.PageRequest{Limit: 100})
	if err != nil {
		return nil, err
	}
	for _, e := range page.Items {
		if e.ID == id {
			return []bastionai.LedgerRef{{EventID: e.ID, Type: e.Type, StreamID: e.PartitionKey, Version: e.StreamVersion, Position: e.Position,
				Hash: e.Hash, PrevHash: e.PrevHash}}, nil
		}
	}
	return []bastionai.LedgerRef{}, nil
}

func trustScore(ctx context.Context, p *Posture, who Asker, _ ToolArgs) (*ToolResult, error) {
	refs, err := ledger(ctx, p, who, ops.AuditFilter{Type: "com.astra.trust.ScoreUpdated"}, 1)
	if err != nil {
		return nil, err
	}
	cite := []bastionai.Citation{{Kind: "trust_score", ID: who.TenantID, Tool: "trust_score", Events: refs}}
	if who.AsOf != nil {
		score, err := p.Trust.ScoreAt(ctx, who.TenantID, *who.AsOf)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"as_of": who.AsOf, "score": score}
		if score != nil {
			out["grade"] = trust.Grade(*score)
		}
		return &ToolResult{Data: out, Citations: cite}, nil
	}
	snap, err := p.Trust.Snapshot(ctx, who.TenantID)
	if err != nil {
		return nil, err
	}
	sigs, err := p.Trust.Signals(ctx, who.TenantID, "", who.Now.Add(-30*24*time.Hour), who.Now, 5000)
	if err != nil {
		return nil, err
	}
	movers := []map[string]any{}
	for _, s := range trust.TopMovers(sigs, snap.Decay, who.Now, 5) {
		movers = append(movers, map[string]any{"signal_id": s.ID, "pillar": s.Pillar, "score": s.Score, "at": s.At, "source": s.Source, "reason": s.Reason})
		refs, err := eventByID(ctx, p, who.TenantID, s.Source, s.At, s.ID)
		if err != nil {
			return nil, err
		}
		cite = append(cite, bastionai.Citation{Kind: "trust_signal", ID: s.ID, Tool: "trust_score", Events: refs})
	}
	out := map[string]any{"score": nil, "top_movers": movers, "signals": snap.Signals}
	if snap.Last != nil && snap.Last.Known {
		out["score"], out["grade"], out["at"] = snap.Last.Score, snap.Last.Grade, snap.Last.At
	}
	return &ToolResult{Data: out, Citations: cite}, nil
}

func risks(ctx context.Context, p *Posture, who Asker, a ToolArgs) (*ToolResult, error) {
	page, err := p.Risk.List(ctx, who.TenantID, rmrisk.RiskFilter{Status: a.Status}, projections.PageRequest{Limit: a.Limit})
	if err != nil {
		return nil, err
	}
	res := &ToolResult{}
	items := []map[string]any{}
	for _, r := range page.Items {
		refs, err := ledger(ctx, p, who, ops.AuditFilter{Subject: r.ID}, 1)
		if err != nil {
			return nil, err
		}
		res.Citations = append(res.Citations, bastionai.Citation{Kind: "risk", ID: r.ID, Tool: "risks", Events: refs})
		item := map[string]any{"id": r.ID, "title": r.Title, "category": r.Category, "status": r.Status, "owner": r.Owner, "last_mean_ale": r.LastMeanALE}
		sims, err := p.Risk.Simulations(ctx, who.TenantID, r.ID, projections.PageRequest{Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(sims.Items) > 0 {
			s := sims.Items[0]
			item["latest_simulation"] = map[string]any{"id": s.ID, "at": s.At, "iterations": s.Iterations, "results": s.Results}
			refs, err := ledger(ctx, p, who, ops.AuditFilter{Subject: s.ID}, 1)
			if err != nil {
				return nil, err
			}
			res.Citations = append(res.Citations, bastionai.Citation{Kind: "simulation", ID: s.ID, Tool: "risks", Events: refs})
		}
		items = append(items, item)
	}
	res.Data = map[string]any{"total": page.Total, "risks": items}
	return res, nil
}

func alerts(ctx context.Context, p *Posture, who Asker, a ToolArgs) (*ToolResult, error) {
	page, err := p.Aegis.Alerts(ctx, who.TenantID, rmaegis.AlertFilter{Status: a.Status, Severity: a.Severity}, projections.PageRequest{Limit: a.Limit})
	if err != nil {
		return nil, err
	}
	res := &ToolResult{}
	for _, al := range page.Items {
		refs, err := ledger(ctx, p, who, ops.AuditFilter{Subject: al.ID}, 1)
		if err != nil {
			return nil, err
		}
		res.Citations = append(res.Citations, bastionai.Citation{Kind: "alert", ID: al.ID, Tool: "alerts", Events: refs})
	}
	res.Data = map[string]any{"total": page.Total, "alerts": page.Items}
	return res, nil
}

func compliancePosture(ctx context.Context, p *Posture, who Asker, _ ToolArgs) (*ToolResult, error) {
	posture, err := p.Compliance.Posture(ctx, who.TenantID)
	if err != nil {
		return nil, err
	}
	res := &ToolResult{Data: map[string]any{"frameworks": posture}}
	for _, f := range posture {
		c := bastionai.Citation{Kind: "compliance_posture", ID: f.FrameworkID, Tool: "compliance_posture"}
		if f.Current != nil {
			refs, err := ledger(ctx, p, who, ops.AuditFilter{Subject: f.Current.AssessmentID}, 1)
			if err != nil {
				return nil, err
			}
			c.Events = refs
		}
		res.Citations = append(res.Citations, c)
	}
	return res, nil
}

func gatewayStats(ctx context.Context, p *Posture, who Asker, _ ToolArgs) (*ToolResult, error) {
	to := who.Now
	if who.AsOf != nil {
		to = *who.AsOf
	}
	from := to.Add(-7 * 24 * time.Hour)
	st, err := p.Gateway.RequestStats(ctx, who.TenantID, &from, &to)
	if err != nil {
		return nil, err
	}
	refs, err := ledger(ctx, p, who, ops.AuditFilter{Type: "com.astra.gateway.Request"}, 3)
	if err != nil {
		return nil, err
	}
	return &ToolResult{Data: map[string]any{"from": from, "to": to, "stats": st},
		Citations: []bastionai.Citation{{Kind: "gateway_stats", ID: who.TenantID, Tool: "gateway_stats", Events: refs}}}, nil
}

func auditTrail(ctx context.Context, p *Posture, who Asker, a ToolArgs) (*ToolResult, error) {
	f := ops.AuditFilter{TenantID: who.TenantID, Type: a.Type, Subject: a.Subject}
	if who.AsOf != nil {
		to := who.AsOf.Add(time.Nanosecond)
		f.To = &to
	}
	page, err := p.Ledger.Audit(ctx, f, ops.NewestFirst, projections.PageRequest{Limit: a.Limit})
	if err != nil {
		return nil, err
	}
	res := &ToolResult{}
	events := []map[string]any{}
	for _, e := range page.Items {
		events = append(events, map[string]any{"id": e.ID, "type": e.Type, "subject": e.Subject, "time": e.Time, "actor": e.Actor, "hash": e.Hash})
		res.Citations = append(res.Citations, bastionai.Citation{Kind: "audit_event", ID: e.ID, Tool: "audit_trail", Events: []bastionai.LedgerRef{{
			EventID: e.ID, Type: e.Type, StreamID: e.PartitionKey, Version: e.StreamVersion, Position: e.Position, Hash: e.Hash, PrevHash: e.PrevHash}}})
	}
	res.Data = map[string]any{"total": page.Total, "events": events}
	return res, nil
}

func searchDocuments(ctx context.Context, p *Posture, who Asker, a ToolArgs) (*ToolResult, error) {
	hits, err := p.Index.Search(ctx, who.TenantID, a.Query, rm.ScopeAll, "", a.Limit)
	if err != nil {
		return nil, err
	}
	res := &ToolResult{}
	out := []map[string]any{}
	for _, h := range hits {
		out = append(out, map[string]any{"chunk_id": h.ChunkID, "title": h.Title, "text": h.Text})
		c, err := chunkCitation(ctx, p, who, h)
		if err != nil {
			return nil, err
		}
		c.Tool = "search_documents"
		res.Citations = append(res.Citations, c)
	}
	res.Data = map[string]any{"chunks": out}
	return res, nil
}

// chunkCitation cites a retrieved chunk: a document's chunk by the
// DocumentIndexed event behind it; a built-in requirement by its id (it is
// reference data, not in the ledger).
func chunkCitation(ctx context.Context, p *Posture, who Asker, h rm.Hit) (bastionai.Citation, error) {
	c := bastionai.Citation{Kind: "requirement", ID: h.ChunkID, Events: []bastionai.LedgerRef{}}
	if h.DocumentID != nil {
		c.Kind = "document_chunk"
		refs, err := ledger(ctx, p, Asker{TenantID: who.TenantID}, ops.AuditFilter{Subject: *h.DocumentID, Type: bastionai.DocumentIndexed.CEType()}, 1)
		if err != nil {
			return c, err
		}
		c.Events = refs
	}
	return c, nil
}
