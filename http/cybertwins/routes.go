// Package cybertwins serves CyberTwins over HTTP: the tenant's asset graph
// (assets, relationships, bulk import, depth-capped graph queries over the
// in-memory index), attack paths (k most likely, recorded, and as of a past
// time) and simulated MITRE ATLAS campaigns against the tenant's defences.
package cybertwins

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/cybertwins"
	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	rm "github.com/astrabastion/astra/projections/cybertwins"
)

// API serves the CyberTwins routes.
type API struct {
	Commands *cmd.Handlers
	Queries  *rm.Queries
	Writes   *writes.Kit
}

// AssetRequest is the body of POST /cybertwins/assets.
type AssetRequest struct {
	Name string `json:"name" validate:"required,max=300"`
	Type string `json:"type" validate:"required,oneof=model agent dataset service host identity vector_store api_key mcp_server provider application network"`
	// Criticality is 1 (low) to 5 (critical); 3 when left out.
	Criticality int      `json:"criticality,omitempty" validate:"omitempty,min=1,max=5"`
	Owner       string   `json:"owner,omitempty" validate:"max=200"`
	Tags        []string `json:"tags,omitempty" validate:"max=50,dive,max=100"`
	// EntryPoint marks where an attacker can start; CrownJewel what they are after.
	EntryPoint bool `json:"entry_point"`
	CrownJewel bool `json:"crown_jewel"`
}

// AssetPatch is the body of PATCH /cybertwins/assets/{id}: the fields to change.
type AssetPatch struct {
	Name        *string   `json:"name,omitempty" validate:"omitempty,max=300"`
	Type        *string   `json:"type,omitempty" validate:"omitempty,oneof=model agent dataset service host identity vector_store api_key mcp_server provider application network"`
	Criticality *int      `json:"criticality,omitempty" validate:"omitempty,min=1,max=5"`
	Owner       *string   `json:"owner,omitempty" validate:"omitempty,max=200"`
	Tags        *[]string `json:"tags,omitempty" validate:"omitempty,max=50,dive,max=100"`
	EntryPoint  *bool     `json:"entry_point,omitempty"`
	CrownJewel  *bool     `json:"crown_jewel,omitempty"`
}

// RelationshipRequest is the body of POST /cybertwins/relationships.
type RelationshipRequest struct {
	Source string `json:"source" validate:"required,uuid"`
	Target string `json:"target" validate:"required,uuid"`
	Type   string `json:"type" validate:"required,oneof=connects_to has_access runs_on stores calls trusts"`
	// Exploitability is the probability an attacker crosses the link, in (0, 1].
	Exploitability float64 `json:"exploitability" validate:"required,gt=0,lte=1"`
}

// RelationshipKey is the body of DELETE /cybertwins/relationships.
type RelationshipKey struct {
	Source string `json:"source" validate:"required,uuid"`
	Target string `json:"target" validate:"required,uuid"`
	Type   string `json:"type" validate:"required,oneof=connects_to has_access runs_on stores calls trusts"`
}

// AttackPathsRequest is the body of POST /cybertwins/attack-paths.
type AttackPathsRequest struct {
	// K is how many paths, most likely first (1 to 100).
	K int `json:"k" validate:"required,min=1,max=100"`
	// Sources are asset ids the paths start from (default: every entry point).
	Sources []string `json:"sources,omitempty" validate:"max=1000,dive,uuid"`
	// Targets are asset ids the paths end at (default: every crown jewel).
	Targets []string `json:"targets,omitempty" validate:"max=1000,dive,uuid"`
	// At reads the graph as it stood at this past time (default: now).
	At *time.Time `json:"at,omitempty"`
}

// CampaignRequest is the body of POST /cybertwins/campaigns.
type CampaignRequest struct {
	Name string `json:"name,omitempty" validate:"max=300"`
	// Techniques are the campaign's MITRE ATLAS technique ids, in order (AML.T0051, AML.T0051.000 …).
	Techniques []string `json:"techniques" validate:"required,min=1,max=50,dive,max=20"`
}

// Node is an asset of a graph answer, with its distance from the root and
// the links it has to other nodes of the answer.
type Node struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Type        string `json:"type" enum:"model,agent,dataset,service,host,identity,vector_store,api_key,mcp_server,provider,application,network"`
	Criticality int    `json:"criticality"`
	EntryPoint  bool   `json:"entry_point"`
	CrownJewel  bool   `json:"crown_jewel"`
	// Depth is the node's distance in links from the root (0 without a root).
	Depth int `json:"depth"`
	// Links are the node's outgoing links to nodes of the answer.
	Links []Edge `json:"links"`
}

// Edge is a link of a graph answer.
type Edge struct {
	Target         string  `json:"target"`
	Type           string  `json:"type" enum:"connects_to,has_access,runs_on,stores,calls,trusts"`
	Exploitability float64 `json:"exploitability"`
}

// ComputationResult is the answer of POST /cybertwins/attack-paths.
type ComputationResult = rm.Computation

// Routes declares the CyberTwins routes.
func (a *API) Routes() []platform.Route {
	const p = "/api/v1/cybertwins"
	r, w := "cybertwins:read", "cybertwins:write"
	assetTypes, relTypes := cybertwins.AssetTypes, cybertwins.RelationshipTypes
	boolean := func(name, what string) platform.Param {
		return platform.Param{Name: name, Description: what, Schema: "boolean"}
	}
	return []platform.Route{
		{Method: http.MethodGet, Path: p + "/assets", OperationID: "listTwinAssets", Tag: "cybertwins", Summary: "The twin's assets, by id",
			Permission: r, Response: rm.Asset{}, List: true, Handler: a.assets, Query: []platform.Param{
				{Name: "type", Description: "Only assets of this type", Enum: assetTypes},
				{Name: "owner", Description: "Only assets of this owner"},
				{Name: "tag", Description: "Only assets with this tag"},
				boolean("entry_point", "Only entry points (true) or only the others (false)"),
				boolean("crown_jewel", "Only crown jewels (true) or only the others (false)"),
				{Name: "min_criticality", Description: "Only assets at least this critical (1 to 5)", Schema: "integer"}}},
		{Method: http.MethodPost, Path: p + "/assets", OperationID: "addTwinAsset", Tag: "cybertwins",
			Summary:    "Add a typed asset with its criticality, owner, tags and entry-point and crown-jewel marks (AssetAdded)",
			Permission: w, Request: AssetRequest{}, Response: rm.Asset{}, Status: http.StatusCreated, Handler: a.addAsset, Errors: []int{409, 422}},
		{Method: http.MethodPost, Path: p + "/assets/import", OperationID: "importTwinGraph", Tag: "cybertwins",
			Summary: "Bulk import, streamed: application/x-ndjson (one asset or relationship object a line: kind, id, name, type, criticality, owner, tags, " +
				"entry_point, crown_jewel, source, target, exploitability) or text/csv with a header row of those columns (tags separated by ';'). " +
				"An asset's id is its key: a UUID is kept, another key derives a stable id, so relationships name assets by the keys of the import. " +
				"Valid lines are recorded in chunks (GraphImported); every refused line is reported with its number and reason",
			Permission: w, Response: cmd.ImportReport{}, Handler: a.importGraph, Errors: []int{409, 413, 415, 422}, BodyLimit: 1 << 30},
		{Method: http.MethodGet, Path: p + "/assets/:id", OperationID: "getTwinAsset", Tag: "cybertwins", Summary: "One asset",
			Permission: r, Response: rm.Asset{}, Handler: a.asset, Errors: []int{404}},
		{Method: http.MethodPatch, Path: p + "/assets/:id", OperationID: "updateTwinAsset", Tag: "cybertwins", Summary: "Change an asset's fields (AssetUpdated)",
			Permission: w, Request: AssetPatch{}, Response: rm.Asset{}, Handler: a.updateAsset, Errors: []int{404, 409, 422}},
		{Method: http.MethodDelete, Path: p + "/assets/:id", OperationID: "removeTwinAsset", Tag: "cybertwins",
			Summary:    "Remove an asset and its relationships (AssetRemoved)",
			Permission: w, Status: http.StatusNoContent, Handler: a.removeAsset, Errors: []int{404, 409}},
		{Method: http.MethodGet, Path: p + "/relationships", OperationID: "listTwinRelationships", Tag: "cybertwins", Summary: "The twin's relationships",
			Permission: r, Response: rm.Relationship{}, List: true, Handler: a.relationships, Query: []platform.Param{
				{Name: "source", Description: "Only relationships from this asset", Schema: "uuid"},
				{Name: "target", Description: "Only relationships to this asset", Schema: "uuid"},
				{Name: "type", Description: "Only relationships of this type", Enum: relTypes}}},
		{Method: http.MethodPost, Path: p + "/relationships", OperationID: "addTwinRelationship", Tag: "cybertwins",
			Summary: "Add a typed directed relationship with its exploitability in (0, 1]; the same source, target and type again changes its exploitability " +
				"(RelationshipAdded)",
			Permission: w, Request: RelationshipRequest{}, Response: rm.Relationship{}, Status: http.StatusCreated, Handler: a.link, Errors: []int{404, 409, 422}},
		{Method: http.MethodDelete, Path: p + "/relationships", OperationID: "removeTwinRelationship", Tag: "cybertwins",
			Summary:    "Remove the relationship of a source, target and type (RelationshipRemoved)",
			Permission: w, Request: RelationshipKey{}, Status: http.StatusNoContent, Handler: a.unlink, Errors: []int{404, 409}},
		{Method: http.MethodGet, Path: p + "/graph", OperationID: "getTwinGraph", Tag: "cybertwins",
			Summary: "Nodes and links from the tenant's in-memory index: with root, the neighbourhood up to depth links away (at most 5) in a direction, " +
				"at most 10,000 nodes (an answer cut there has the header X-Astra-Truncated: true); without root, every asset matching the filters. Each node lists its " +
				"outgoing links to other nodes of the answer",
			Permission: r, Response: Node{}, List: true, Handler: a.graph, Errors: []int{404}, Query: []platform.Param{
				{Name: "root", Description: "The asset to walk from", Schema: "uuid"},
				{Name: "depth", Description: "How many links away from root (default 2, at most 5)", Schema: "integer"},
				{Name: "direction", Description: "Which links to follow from root (default both)", Enum: []string{cybertwins.Downstream, cybertwins.Upstream, cybertwins.Both}},
				{Name: "type", Description: "Only nodes of this asset type (the root is always kept)", Enum: assetTypes},
				{Name: "relationship_type", Description: "Only follow and show links of this type", Enum: relTypes},
				boolean("crown_jewel", "Only crown jewels (true) or only the others (false)"),
				boolean("entry_point", "Only entry points (true) or only the others (false)")}},
		{Method: http.MethodPost, Path: p + "/attack-paths", OperationID: "computeAttackPaths", Tag: "cybertwins",
			Summary: "The k most likely attack paths from entry points (or sources) to crown jewels (or targets), most likely first: a path's probability is " +
				"the product of its links' exploitabilities. With the links that matter most (on the most paths) and a smallest cut found. " +
				"With at, on the graph as it stood then. Recorded (AttackPathsComputed)",
			Permission: w, Request: AttackPathsRequest{}, Response: ComputationResult{}, Status: http.StatusCreated, Handler: a.computePaths, Errors: []int{422}},
		{Method: http.MethodGet, Path: p + "/attack-paths", OperationID: "listAttackPaths", Tag: "cybertwins",
			Summary:    "Recorded attack-path computations, newest first; with before, those of the graph at or before that time",
			Permission: r, Response: ComputationResult{}, List: true, Handler: a.computations, Query: []platform.Param{
				{Name: "before", Description: "Only computations of the graph as it stood at or before this time", Schema: "date-time"}}},
		{Method: http.MethodGet, Path: p + "/attack-paths/:id", OperationID: "getAttackPaths", Tag: "cybertwins", Summary: "One recorded attack-path computation",
			Permission: r, Response: ComputationResult{}, Handler: a.computation, Errors: []int{404}},
		{Method: http.MethodPost, Path: p + "/campaigns", OperationID: "simulateCampaign", Tag: "cybertwins",
			Summary: "Simulate an adversary campaign, a sequence of MITRE ATLAS technique ids, against the tenant's real configuration: for each step the " +
				"enabled AEGIS guardrails, gateway policies, MCP servers and implemented compliance controls that stop or detect it, and where the campaign " +
				"gets through (CampaignSimulated)",
			Permission: w, Request: CampaignRequest{}, Response: rm.Campaign{}, Status: http.StatusCreated, Handler: a.simulateCampaign, Errors: []int{422, 503}},
		{Method: http.MethodGet, Path: p + "/campaigns", OperationID: "listCampaigns", Tag: "cybertwins", Summary: "Simulated campaigns, newest first",
			Permission: r, Response: rm.Campaign{}, List: true, Handler: a.campaigns},
		{Method: http.MethodGet, Path: p + "/campaigns/:id", OperationID: "getCampaign", Tag: "cybertwins", Summary: "One simulated campaign with its per-step coverage",
			Permission: r, Response: rm.Campaign{}, Handler: a.campaign, Errors: []int{404}},
	}
}

func tenant(c echo.Context) string { return auth.PrincipalOf(c).ActingTenant }

// Ids are UUIDs; another id names nothing.
var (
	assetID       = platform.IDParam(cybertwins.ErrAssetNotFound)
	computationID = platform.IDParam(cybertwins.ErrComputationNotFound)
	campaignID    = platform.IDParam(cybertwins.ErrCampaignNotFound)
)

func created(c echo.Context, path string) {
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/cybertwins/"+path)
}
