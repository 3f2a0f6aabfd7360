package app

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	cmdct "github.com/astrabastion/astra/commands/cybertwins"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	httpct "github.com/astrabastion/astra/http/cybertwins"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmct "github.com/astrabastion/astra/projections/cybertwins"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	"github.com/astrabastion/astra/reactors"
)

// CyberTwins: the tenant's asset graph, attack paths over its in-memory
// index, and ATLAS campaigns against the tenant's real defences.
func init() {
	register(Module{
		Name:  cybertwins.Module,
		Title: "CyberTwins",
		Tags: map[string]string{
			"cybertwins": "CyberTwins: the tenant's asset graph (typed assets, typed directed relationships with an exploitability), bulk import, depth-capped graph queries, the k most likely attack paths from entry points to crown jewels (recorded, and as of a past time), and MITRE ATLAS campaigns simulated against the tenant's guardrails, gateway policies and controls.",
		},
		// After the modules whose configuration a campaign reads.
		Order: 80,
		Errors: platform.Codes{
			"CT-001": platform.Entry(http.StatusNotFound, "Asset not found", "No asset with that id exists in the tenant's twin."),
			"CT-002": platform.Entry(http.StatusUnprocessableEntity, "Invalid asset", "An asset needs a name, a known type, a criticality of 1 to 5, at most 50 tags."),
			"CT-003": platform.Entry(http.StatusNotFound, "Relationship not found", "The twin has no relationship of that source, target and type."),
			"CT-004": platform.Entry(http.StatusUnprocessableEntity, "Invalid relationship", "A relationship joins two different assets of the twin, has a known type and an exploitability in (0, 1]."),
			"CT-005": platform.Entry(http.StatusNotFound, "Computation not found", "No attack-path computation with that id exists in the tenant."),
			"CT-006": platform.Entry(http.StatusUnprocessableEntity, "Invalid attack-path query", "k is 1 to 100, sources and targets name assets of the graph, at is not in the future."),
			"CT-007": platform.Entry(http.StatusNotFound, "Campaign not found", "No campaign simulation with that id exists in the tenant."),
			"CT-008": platform.Entry(http.StatusUnprocessableEntity, "Invalid campaign", "A campaign is 1 to 50 technique ids of the ATLAS catalogue (AML.T0051, AML.T0051.000 …)."),
			"CT-009": platform.Entry(http.StatusServiceUnavailable, "ATLAS catalogue unavailable", "The ATLAS catalogue file (ASTRA_ATLAS_FILE) could not be read."),
			"CT-010": platform.Entry(http.StatusUnprocessableEntity, "Invalid import", "An import is NDJSON or CSV with a header row of known columns, lines of at most 64 KiB."),
		},
		DomainErrors: []platform.DomainError{
			{Err: cybertwins.ErrAssetNotFound, Code: "CT-001"},
			{Err: cybertwins.ErrInvalidAsset, Code: "CT-002"},
			{Err: cybertwins.ErrRelationshipNotFound, Code: "CT-003", Detail: "No such relationship in this tenant's twin."},
			{Err: cybertwins.ErrInvalidRelationship, Code: "CT-004"},
			{Err: cybertwins.ErrComputationNotFound, Code: "CT-005", Detail: "No such attack-path computation in this tenant."},
			{Err: cybertwins.ErrInvalidQuery, Code: "CT-006"},
			{Err: cybertwins.ErrCampaignNotFound, Code: "CT-007", Detail: "No such campaign simulation in this tenant."},
			{Err: cybertwins.ErrInvalidCampaign, Code: "CT-008"},
			{Err: cybertwins.ErrCatalogueUnavailable, Code: "CT-009", Detail: "The ATLAS catalogue could not be read."},
			{Err: cybertwins.ErrInvalidImport, Code: "CT-010"},
		},
		Projections: func(*Base) []projections.Projection { return []projections.Projection{rmct.New()} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			index := rmct.NewIndex(rt.Stack.Store)
			queries := &rmct.Queries{Runner: rt.Stack.Runner, Index: index}
			file := rt.Cfg.ATLASFile
			if file == "" {
				file = filepath.Join(rt.Cfg.DataDir, "atlas", "ATLAS.yaml")
			}
			commands := &cmdct.Handlers{Store: rt.Stack.Store, Twins: index, Catalogue: atlasFrom(file),
				Defences: defences{aegis: &rmaegis.Queries{Runner: rt.Stack.Runner}, gateway: &rmgw.Queries{Runner: rt.Stack.Runner},
					compliance: &rmcmp.Queries{Runner: rt.Stack.Runner}}}
			api := &httpct.API{Commands: commands, Queries: queries, Writes: rt.Writes}
			// Assets the platform already knows appear in the twin on their
			// own and follow their objects: gateway providers, AEGIS agents
			// and MCP servers, IAM API keys.
			sync := reactors.Reactor{Name: "cybertwins_platform_assets", Module: cybertwins.Module, Scope: reactors.Shared,
				Types: []events.Type{gw.ProviderRegistered, gw.ProviderUpdated, gw.ProviderRemoved, aegis.AgentRegistered, aegis.AgentUpdated, aegis.AgentRetired,
					aegis.McpServerRegistered, aegis.McpServerUpdated, aegis.McpServerRemoved, iam.ApiKeyCreated, iam.ApiKeyRevoked},
				Handle: func(ctx context.Context, e *eventstore.Event) error { return syncPlatformAsset(ctx, commands, e) }}
			return &Parts{Routes: api.Routes(), Service: index, Reactors: []reactors.Reactor{sync}}, nil
		},
	})
}

// syncPlatformAsset turns a platform object's event into the twin's asset for it.
func syncPlatformAsset(ctx context.Context, c *cmdct.Handlers, e *eventstore.Event) error {
	meta := eventstore.Metadata{TenantID: e.TenantID, Actor: "system:cybertwins-sync", CausationID: e.ID.String()}
	var ref, name, typ string
	present := true
	switch e.Type {
	case gw.ProviderRegistered.CEType():
		var d gw.ProviderRegisteredV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, name, typ = "gateway.provider:"+d.ProviderID, d.Name, "provider"
	case gw.ProviderUpdated.CEType():
		var d gw.ProviderUpdatedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		if d.Name == nil {
			return nil
		}
		ref, name, typ = "gateway.provider:"+d.ProviderID, *d.Name, "provider"
	case gw.ProviderRemoved.CEType():
		var d gw.ProviderRemovedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, present = "gateway.provider:"+d.ProviderID, false
	case aegis.AgentRegistered.CEType():
		var d aegis.AgentRegisteredV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, name, typ = "aegis.agent:"+d.AgentID, d.Name, "agent"
	case aegis.AgentUpdated.CEType():
		var d aegis.AgentUpdatedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		if d.Name == nil {
			return nil
		}
		ref, name, typ = "aegis.agent:"+d.AgentID, *d.Name, "agent"
	case aegis.AgentRetired.CEType():
		var d aegis.AgentRetiredV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, present = "aegis.agent:"+d.AgentID, false
	case aegis.McpServerRegistered.CEType():
		var d aegis.McpServerRegisteredV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, name, typ = "aegis.mcp_server:"+d.ServerID, d.Name, "mcp_server"
	case aegis.McpServerUpdated.CEType():
		var d aegis.McpServerUpdatedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		if d.Name == nil {
			return nil
		}
		ref, name, typ = "aegis.mcp_server:"+d.ServerID, *d.Name, "mcp_server"
	case aegis.McpServerRemoved.CEType():
		var d aegis.McpServerRemovedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, present = "aegis.mcp_server:"+d.ServerID, false
	case iam.ApiKeyCreated.CEType():
		// A key has no rename; a rotation keeps the key (and its asset).
		var d iam.ApiKeyCreatedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		name = d.Name
		if strings.TrimSpace(name) == "" {
			name = "API key " + d.Prefix
		}
		ref, typ = "iam.api_key:"+d.KeyID, "api_key"
	case iam.ApiKeyRevoked.CEType():
		var d iam.ApiKeyRevokedV1
		if err := e.Decode(&d); err != nil {
			return err
		}
		ref, present = "iam.api_key:"+d.KeyID, false
	default:
		return nil
	}
	_, err := c.SyncPlatformAsset(ctx, meta, ref, name, typ, present)
	return err
}

// atlasFrom reads the ATLAS catalogue from file on first use (and again
// after a failure, so that a file put in place later is picked up).
func atlasFrom(file string) func() (*cybertwins.Catalogue, error) {
	var mu sync.Mutex
	var cat *cybertwins.Catalogue
	return func() (*cybertwins.Catalogue, error) {
		mu.Lock()
		defer mu.Unlock()
		if cat != nil {
			return cat, nil
		}
		doc, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", cybertwins.ErrCatalogueUnavailable, err)
		}
		c, err := cybertwins.ParseCatalogue(doc)
		if err != nil {
			return nil, err
		}
		cat = c
		return cat, nil
	}
}

// defences reads the tenant's real configuration as CyberTwins defences:
// AEGIS's enabled guardrails, the gateway's policies and the implemented
// compliance controls, each from its own module's read model.
type defences struct {
	aegis      *rmaegis.Queries
	gateway    *rmgw.Queries
	compliance *rmcmp.Queries
}

func (d defences) Defences(ctx context.Context, tenant string, cat *cybertwins.Catalogue) ([]cybertwins.Defence, error) {
	var out []cybertwins.Defence
	rules, err := d.aegis.EnabledGuardrails(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		out = append(out, cybertwins.GuardrailDefence(r.ID, r.Spec.Name, r.Spec.Type, r.Spec.Action))
	}
	policies, err := d.gateway.Policies(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, p := range policies {
		restricted := len(p.Policy.AllowedModels) > 0 && !slices.Contains(p.Policy.AllowedModels, "*")
		out = append(out, cybertwins.PolicyDefences(cybertwins.PolicyFacts{ID: p.ID, Name: p.Name,
			InjectionEnabled: p.Policy.Injection.Enabled, InjectionAction: p.Policy.Injection.Action,
			PIIEnabled: p.Policy.PII.Enabled, PIIAction: p.Policy.PII.Action, ResponseScan: p.Policy.ResponseScan.Enabled,
			ModelAllowList: restricted, MaxInputTokens: p.Policy.MaxInputTokens, MaxOutputToks: p.Policy.MaxOutputTokens,
			ContentRules: len(p.Policy.ContentRules)})...)
	}
	page := projections.PageRequest{Limit: 200}
	for {
		controls, err := d.compliance.Controls(ctx, tenant, page)
		if err != nil {
			return nil, err
		}
		for _, c := range controls.Items {
			if x, ok := cybertwins.ControlDefence(cat, c.ID, c.Name, c.Description, c.Status); ok {
				out = append(out, x)
			}
		}
		if !controls.HasMore {
			return out, nil
		}
		page.After = controls.Next
	}
}
