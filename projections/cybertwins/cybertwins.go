// Package cybertwins projects CyberTwins: the assets and relationships of
// each tenant's graph (adjacency in Postgres, for lists and filters), the
// recorded attack-path computations and campaign simulations; and keeps the
// compact in-memory index of each tenant's graph current from the log (Index).
package cybertwins

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "cybertwins"

// Projection builds the CyberTwins read models.
type Projection struct {
	projections.Tabled
}

// New builds the projection.
func New() *Projection {
	p := &Projection{Tabled: projections.NewTabled(Name, events.TopicFor(cybertwins.Module))}
	projections.On(p.Table, cybertwins.AssetAdded, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *cybertwins.AssetAddedV1) error {
		return insertAssets(ctx, tx, s, e, []cybertwins.Asset{d.Asset})
	})
	projections.On(p.Table, cybertwins.AssetUpdated, projections.Exec(func(e *eventstore.Event, d *cybertwins.AssetUpdatedV1) (string, []any) {
		return `UPDATE %[1]s.assets SET name = coalesce($2, name), type = coalesce($3, type), criticality = coalesce($4, criticality),
			owner = coalesce($5, owner), tags = coalesce($6, tags), entry_point = coalesce($7, entry_point), crown_jewel = coalesce($8, crown_jewel),
			version = version + 1, updated_at = $9 WHERE tenant_id = $10 AND id = $1`,
			[]any{d.AssetID, d.Name, d.Type, d.Criticality, d.Owner, d.Tags, d.EntryPoint, d.CrownJewel, e.Time, e.TenantID}
	}))
	projections.On(p.Table, cybertwins.AssetRemoved, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *cybertwins.AssetRemovedV1) error {
		// The links leaving the asset are a range of the primary key; those
		// arriving at it are listed by the event (the table keeps no index
		// on target, see Setup).
		n := len(d.Relationships)
		src, dst, types := make([]string, n), make([]string, n), make([]string, n)
		for i, r := range d.Relationships {
			src[i], dst[i], types[i] = r.Source, r.Target, r.Type
		}
		if _, err := tx.Exec(ctx, `DELETE FROM `+s+`.relationships r WHERE r.tenant_id = $1 AND (r.source = $2 OR (r.source, r.target, r.type) IN
			(SELECT * FROM unnest($3::uuid[], $4::uuid[], $5::text[])))`, e.TenantID, d.AssetID, src, dst, types); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM `+s+`.assets WHERE tenant_id = $1 AND id = $2`, e.TenantID, d.AssetID)
		return err
	})
	projections.On(p.Table, cybertwins.RelationshipAdded, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *cybertwins.RelationshipAddedV1) error {
		return insertRelationships(ctx, tx, s, e, []cybertwins.Relationship{d.Relationship})
	})
	projections.On(p.Table, cybertwins.RelationshipRemoved, projections.Exec(func(e *eventstore.Event, d *cybertwins.RelationshipRemovedV1) (string, []any) {
		return `DELETE FROM %[1]s.relationships WHERE tenant_id = $1 AND source = $2 AND target = $3 AND type = $4`,
			[]any{e.TenantID, d.Source, d.Target, d.Type}
	}))
	projections.On(p.Table, cybertwins.GraphImported, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *cybertwins.GraphImportedV1) error {
		// One statement cannot upsert a row twice: a chunk that names an
		// asset or a relationship on several lines keeps the last, as the
		// twin folds it.
		if err := insertAssets(ctx, tx, s, e, lastOf(d.Assets, func(a cybertwins.Asset) string { return a.ID })); err != nil {
			return err
		}
		return insertRelationships(ctx, tx, s, e, lastOf(d.Relationships, func(r cybertwins.Relationship) cybertwins.LinkKey {
			return cybertwins.LinkKey{Source: r.Source, Target: r.Target, Type: r.Type}
		}))
	})
	projections.On(p.Table, cybertwins.AttackPathsComputed, projections.Exec(func(e *eventstore.Event, d *cybertwins.AttackPathsComputedV1) (string, []any) {
		return `INSERT INTO %[1]s.computations (id, tenant_id, k, sources, targets, at, graph_version, assets, links, paths, critical, took_ms,
			computed_at, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING`,
			[]any{d.ComputationID, e.TenantID, d.K, d.Sources, d.Targets, d.At, d.GraphVersion, d.Assets, d.Links, d.Paths, d.Critical, d.TookMs, e.Time, e.Actor}
	}))
	projections.On(p.Table, cybertwins.CampaignSimulated, projections.Exec(func(e *eventstore.Event, d *cybertwins.CampaignSimulatedV1) (string, []any) {
		return `INSERT INTO %[1]s.campaigns (id, tenant_id, name, result, simulated_at, actor) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			[]any{d.CampaignID, e.TenantID, d.Name, d.Result, e.Time, e.Actor}
	}))
	return p
}

var _ projections.Projection = (*Projection)(nil)

// insertAssets upserts assets in one statement (a bulk-import chunk is thousands).
func insertAssets(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, as []cybertwins.Asset) error {
	if len(as) == 0 {
		return nil
	}
	n := len(as)
	ids, names, types, owners, refs, tags := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	crit := make([]int32, n)
	entry, crown := make([]bool, n), make([]bool, n)
	for i, a := range as {
		ids[i], names[i], types[i], owners[i], refs[i], crit[i], entry[i], crown[i] = a.ID, a.Name, a.Type, a.Owner, a.Ref, int32(a.Criticality), a.EntryPoint, a.CrownJewel
		tags[i] = tagArray(a.Tags)
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.assets (id, tenant_id, name, type, criticality, owner, tags, entry_point, crown_jewel, ref, version,
		created_at, updated_at)
		SELECT u.id, $1, u.name, u.type, u.crit, u.owner, u.tags::text[], u.entry, u.crown, u.ref, 1, $2, $2
		FROM unnest($3::uuid[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bool[], $10::bool[], $11::text[])
			AS u(id, name, type, crit, owner, tags, entry, crown, ref)
		ON CONFLICT (tenant_id, id) DO UPDATE SET name = excluded.name, type = excluded.type, criticality = excluded.criticality,
			owner = excluded.owner, tags = excluded.tags, entry_point = excluded.entry_point, crown_jewel = excluded.crown_jewel, ref = excluded.ref,
			version = assets.version + 1, updated_at = excluded.updated_at`,
		e.TenantID, e.Time, ids, names, types, crit, owners, tags, entry, crown, refs)
	return err
}

// lastOf keeps, of the items with the same key, the last one, in the order
// of their first appearance (xs itself when no key repeats).
func lastOf[T any, K comparable](xs []T, key func(T) K) []T {
	at := make(map[K]int, len(xs))
	var out []T
	for i, x := range xs {
		k := key(x)
		j, ok := at[k]
		switch {
		case !ok:
			at[k] = i
			if out != nil {
				at[k] = len(out)
				out = append(out, x)
			}
		case out == nil:
			out = append(make([]T, 0, len(xs)), xs[:i]...)
			out[j] = x
		default:
			out[j] = x
		}
	}
	if out == nil {
		return xs
	}
	return out
}

// tagArray renders tags as a Postgres array literal (unnest cannot take an
// array of arrays of different lengths).
func tagArray(tags []string) string {
	b := []byte{'{'}
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		for _, r := range []byte(t) {
			if r == '"' || r == '\\' {
				b = append(b, '\\')
			}
			b = append(b, r)
		}
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// insertRelationships upserts relationships in one statement.
func insertRelationships(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, rs []cybertwins.Relationship) error {
	if len(rs) == 0 {
		return nil
	}
	n := len(rs)
	src, dst, types := make([]string, n), make([]string, n), make([]string, n)
	expl := make([]float64, n)
	for i, r := range rs {
		src[i], dst[i], types[i], expl[i] = r.Source, r.Target, r.Type, r.Exploitability
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.relationships (tenant_id, source, target, type, exploitability, created_at, updated_at)
		SELECT $1, u.source, u.target, u.type, u.expl, $2, $2 FROM unnest($3::uuid[], $4::uuid[], $5::text[], $6::float8[]) AS u(source, target, type, expl)
		ON CONFLICT (tenant_id, source, target, type) DO UPDATE SET exploitability = excluded.exploitability, updated_at = excluded.updated_at`,
		e.TenantID, e.Time, src, dst, types, expl)
	return err
}

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	// A bulk import upserts a million relationships at random keys; each
	// row costs the pages its index entries land on (read, dirtied, logged).
	// Asset ids (and so a relationship's ends) are UUIDs, kept as such:
	// 16-byte keys make the indexes and rows far smaller than 36-character
	// text. Relationships have no index but their key: those arriving at an
	// asset are found through the in-memory index (Queries.Relationships)
	// and, when the asset goes, listed by its AssetRemoved.
	if _, err := tx.Exec(ctx, fmt.Sprintf(`
		CREATE TABLE %[1]s.assets (
			id uuid NOT NULL, tenant_id text NOT NULL, name text NOT NULL, type text NOT NULL, criticality int NOT NULL, owner text NOT NULL,
			tags text[] NOT NULL, entry_point boolean NOT NULL, crown_jewel boolean NOT NULL, ref text NOT NULL, version bigint NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, id));
		CREATE INDEX ON %[1]s.assets (tenant_id, type, id);
		CREATE TABLE %[1]s.relationships (
			tenant_id text NOT NULL, source uuid NOT NULL, target uuid NOT NULL, type text NOT NULL, exploitability float8 NOT NULL,
			created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, source, target, type));
		CREATE TABLE %[1]s.computations (
			id text PRIMARY KEY, tenant_id text NOT NULL, k int NOT NULL, sources jsonb NOT NULL, targets jsonb NOT NULL, at timestamptz,
			graph_version bigint NOT NULL, assets int NOT NULL, links int NOT NULL, paths jsonb NOT NULL, critical jsonb NOT NULL,
			took_ms float8 NOT NULL, computed_at timestamptz NOT NULL, actor text NOT NULL);
		CREATE INDEX ON %[1]s.computations (tenant_id, id DESC);
		CREATE TABLE %[1]s.campaigns (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, result jsonb NOT NULL, simulated_at timestamptz NOT NULL, actor text NOT NULL);
		CREATE INDEX ON %[1]s.campaigns (tenant_id, id DESC);
	`, s)); err != nil {
		return err
	}
	return projections.Isolate(ctx, tx, s, "assets", "relationships", "computations", "campaigns")
}
