// Package cybertwins holds CyberTwins: the tenant's asset graph (typed
// assets and typed directed relationships with an exploitability), the
// compact in-memory index over it, the attack-path engine (the k most
// likely paths from entry points to crown jewels, and the links that matter
// most), and the simulation of MITRE ATLAS campaigns against the tenant's
// real defences. Events, pure rules and sentinel errors only: no I/O, no clock.
package cybertwins

import (
	"time"

	"github.com/astrabastion/astra/domain/events"
)

// Module is the module's name: its events' type prefix (com.astra.cybertwins.…),
// topic (astra.cybertwins) and permission prefix (cybertwins:read|write|admin).
const Module = "cybertwins"

var evt = events.Of(Module)

// Event types of CyberTwins.
var (
	AssetAdded          = evt("AssetAdded", func() any { return &AssetAddedV1{} })
	AssetUpdated        = evt("AssetUpdated", func() any { return &AssetUpdatedV1{} })
	AssetRemoved        = evt("AssetRemoved", func() any { return &AssetRemovedV1{} })
	RelationshipAdded   = evt("RelationshipAdded", func() any { return &RelationshipAddedV1{} })
	RelationshipRemoved = evt("RelationshipRemoved", func() any { return &RelationshipRemovedV1{} })
	GraphImported       = evt("GraphImported", func() any { return &GraphImportedV1{} })
	AttackPathsComputed = evt("AttackPathsComputed", func() any { return &AttackPathsComputedV1{} })
	CampaignSimulated   = evt("CampaignSimulated", func() any { return &CampaignSimulatedV1{} })
)

func init() {
	events.Register(AssetAdded, AssetUpdated, AssetRemoved, RelationshipAdded, RelationshipRemoved, GraphImported,
		AttackPathsComputed, CampaignSimulated)
}

// StreamOfGraph is the stream of a tenant's graph: every asset and
// relationship change of the tenant, in one order (decision 0030).
func StreamOfGraph(tenantID string) string { return "cybertwins.graph-" + tenantID }

// StreamOfComputation is the stream of one attack-path computation.
func StreamOfComputation(id string) string { return "cybertwins.paths-" + id }

// StreamOfCampaign is the stream of one campaign simulation.
func StreamOfCampaign(id string) string { return "cybertwins.campaign-" + id }

// Asset is an asset of the twin as events carry it.
type Asset struct {
	ID          string   `json:"asset_id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Criticality int      `json:"criticality"`
	Owner       string   `json:"owner"`
	Tags        []string `json:"tags"`
	EntryPoint  bool     `json:"entry_point"`
	CrownJewel  bool     `json:"crown_jewel"`
	// Ref names the platform object the asset stands for, when it has one
	// (an AEGIS agent, a gateway provider …); empty for assets declared by hand.
	Ref string `json:"ref,omitempty"`
}

// Relationship is a typed directed link between two assets.
type Relationship struct {
	Source         string  `json:"source"`
	Target         string  `json:"target"`
	Type           string  `json:"type"`
	Exploitability float64 `json:"exploitability"`
}

// AssetAddedV1 records an asset of the twin.
type AssetAddedV1 struct {
	Asset
}

// AssetUpdatedV1 records changed fields of an asset (nil: unchanged).
type AssetUpdatedV1 struct {
	AssetID     string    `json:"asset_id"`
	Name        *string   `json:"name,omitempty"`
	Type        *string   `json:"type,omitempty"`
	Criticality *int      `json:"criticality,omitempty"`
	Owner       *string   `json:"owner,omitempty"`
	Tags        *[]string `json:"tags,omitempty"`
	EntryPoint  *bool     `json:"entry_point,omitempty"`
	CrownJewel  *bool     `json:"crown_jewel,omitempty"`
}

// AssetRemovedV1 records an asset taken out of the twin, with the
// relationships that went with it.
type AssetRemovedV1 struct {
	AssetID       string         `json:"asset_id"`
	Relationships []Relationship `json:"relationships"`
}

// RelationshipAddedV1 records a relationship (a relationship of the same
// source, target and type is replaced: its exploitability changes).
type RelationshipAddedV1 struct {
	Relationship
}

// RelationshipRemovedV1 records a relationship taken out of the twin.
type RelationshipRemovedV1 struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Type   string `json:"type"`
}

// GraphImportedV1 records one chunk of a bulk import: the assets and
// relationships of its valid lines (the lines refused are reported to the
// caller, not recorded).
type GraphImportedV1 struct {
	ImportID      string         `json:"import_id"`
	Chunk         int            `json:"chunk"`
	Assets        []Asset        `json:"assets"`
	Relationships []Relationship `json:"relationships"`
}

// AttackPathsComputedV1 records one computation of attack paths and its
// result, with the graph version (and time, for a past position) it read.
type AttackPathsComputedV1 struct {
	ComputationID string         `json:"computation_id"`
	TenantID      string         `json:"tenant_id"`
	K             int            `json:"k"`
	Sources       []string       `json:"sources"`
	Targets       []string       `json:"targets"`
	At            *time.Time     `json:"at,omitempty"`
	GraphVersion  int64          `json:"graph_version"`
	Assets        int            `json:"assets"`
	Links         int            `json:"links"`
	Paths         []Path         `json:"paths"`
	Critical      []CriticalLink `json:"critical_links"`
	TookMs        float64        `json:"took_ms"`
}

// CampaignSimulatedV1 records a simulated adversary campaign and its
// per-step coverage.
type CampaignSimulatedV1 struct {
	CampaignID string         `json:"campaign_id"`
	TenantID   string         `json:"tenant_id"`
	Name       string         `json:"name"`
	Result     CampaignResult `json:"result"`
}
