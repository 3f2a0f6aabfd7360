package aegis

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

var shadowTables = []string{"shadow_findings", "shadow_ingests"}

const shadowSetup = `
	CREATE TABLE %[1]s.shadow_findings (
		id text PRIMARY KEY, tenant_id text NOT NULL, service text NOT NULL, service_host text NOT NULL, category text NOT NULL, source text NOT NULL,
		attribution text NOT NULL, agent_id text NOT NULL, matched_by text NOT NULL, state text NOT NULL, severity text NOT NULL,
		first_seen timestamptz NOT NULL, last_seen timestamptz NOT NULL, requests bigint NOT NULL, bytes bigint NOT NULL, ingests int NOT NULL,
		note text NOT NULL DEFAULT '', triaged_by text NOT NULL DEFAULT '', triaged_at timestamptz, version bigint NOT NULL,
		created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
	CREATE INDEX ON %[1]s.shadow_findings (tenant_id, last_seen DESC, id DESC);
	CREATE TABLE %[1]s.shadow_ingests (
		id text PRIMARY KEY, tenant_id text NOT NULL, format text NOT NULL, lines bigint NOT NULL, matched bigint NOT NULL, malformed bigint NOT NULL,
		errors text[] NOT NULL, findings int NOT NULL, at timestamptz NOT NULL);
`

func shadowApply(t *projections.Table) {
	projections.On(t, aegis.ShadowAiDetected, projections.Exec(func(e *eventstore.Event, d *aegis.ShadowAiDetectedV1) (string, []any) {
		return `INSERT INTO %[1]s.shadow_findings (id, tenant_id, service, service_host, category, source, attribution, agent_id, matched_by, state,
			severity, first_seen, last_seen, requests, bytes, ingests, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'detected', $10, $11, $12, $13, $14, 1, $15, $16, $16)
			ON CONFLICT (id) DO UPDATE SET attribution = excluded.attribution, agent_id = excluded.agent_id, severity = excluded.severity,
			first_seen = least(shadow_findings.first_seen, excluded.first_seen), last_seen = greatest(shadow_findings.last_seen, excluded.last_seen),
			requests = shadow_findings.requests + excluded.requests, bytes = shadow_findings.bytes + excluded.bytes,
			ingests = shadow_findings.ingests + 1, version = excluded.version, updated_at = excluded.updated_at`,
			[]any{d.FindingID, e.TenantID, d.Service, d.ServiceHost, d.Category, d.Source, d.Attribution, d.AgentID, d.MatchedBy, d.Severity,
				d.FirstSeen, d.LastSeen, d.Requests, d.Bytes, e.Version, e.Time}
	}))
	projections.On(t, aegis.ShadowAiTriaged, projections.Exec(func(e *eventstore.Event, d *aegis.ShadowAiTriagedV1) (string, []any) {
		return `UPDATE %[1]s.shadow_findings SET state = $2, note = CASE WHEN $3 = '' THEN note ELSE $3 END, triaged_by = $4, triaged_at = $5,
			version = $6, updated_at = $5 WHERE id = $1`, []any{d.FindingID, d.To, d.Note, e.Actor, e.Time, e.Version}
	}))
	projections.On(t, aegis.ShadowAiLogIngested, projections.Exec(func(e *eventstore.Event, d *aegis.ShadowAiLogIngestedV1) (string, []any) {
		return `INSERT INTO %[1]s.shadow_ingests (id, tenant_id, format, lines, matched, malformed, errors, findings, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
			[]any{d.IngestID, e.TenantID, d.Format, d.Lines, d.Matched, d.Malformed, strs(d.Errors), d.Findings, e.Time}
	}))
}

// ShadowFinding is one finding: a source's use of an AI service.
type ShadowFinding struct {
	ID          string `json:"id"`
	Service     string `json:"service"`
	ServiceHost string `json:"service_host"`
	Category    string `json:"category" enum:"provider_api,consumer_app,coding_assistant,ai_agent"`
	Source      string `json:"source"`
	// Attribution: shadow, sanctioned (the gateway fronts it for the tenant) or agent (a registered agent's).
	Attribution string     `json:"attribution" enum:"shadow,sanctioned,agent"`
	AgentID     string     `json:"agent_id,omitempty"`
	MatchedBy   string     `json:"matched_by" enum:"dns,sni,host,url,user_agent"`
	State       string     `json:"state" enum:"detected,sanctioned,unsanctioned,blocked"`
	Severity    string     `json:"severity" enum:"low,medium,high,critical"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
	Requests    int64      `json:"requests"`
	Bytes       int64      `json:"bytes"`
	Ingests     int        `json:"ingests"`
	Note        string     `json:"note"`
	TriagedBy   string     `json:"triaged_by,omitempty"`
	TriagedAt   *time.Time `json:"triaged_at,omitempty"`
	Version     int64      `json:"version"`
}

const shadowColumns = `id, service, service_host, category, source, attribution, agent_id, matched_by, state, severity, first_seen, last_seen,
	requests, bytes, ingests, note, triaged_by, triaged_at, version`

func scanShadow(r pgx.CollectableRow) (ShadowFinding, error) {
	var f ShadowFinding
	err := r.Scan(&f.ID, &f.Service, &f.ServiceHost, &f.Category, &f.Source, &f.Attribution, &f.AgentID, &f.MatchedBy, &f.State, &f.Severity,
		&f.FirstSeen, &f.LastSeen, &f.Requests, &f.Bytes, &f.Ingests, &f.Note, &f.TriagedBy, &f.TriagedAt, &f.Version)
	return f, err
}

// ShadowFilter narrows the findings.
type ShadowFilter struct {
	State, Attribution, Category, ServiceHost, Source, Severity string
}

// ShadowFindings lists the findings, most recently seen first.
func (q *Queries) ShadowFindings(ctx context.Context, tenant string, f ShadowFilter, p projections.PageRequest) (projections.Page[ShadowFinding], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(s+".shadow_findings", shadowColumns).Where("tenant_id = ?", tenant).
			WhereIf(f.State != "", "state = ?", f.State).WhereIf(f.Attribution != "", "attribution = ?", f.Attribution).
			WhereIf(f.Category != "", "category = ?", f.Category).WhereIf(f.ServiceHost != "", "service_host = ?", f.ServiceHost).
			WhereIf(f.Source != "", "source = ?", f.Source).WhereIf(f.Severity != "", "severity = ?", f.Severity).
			OrderBy(true, projections.TimeKey("last_seen"), projections.TextKey("id"))
	}, p, scanShadow, func(f ShadowFinding) []any { return []any{f.LastSeen, f.ID} })
}

// ShadowFinding reads one finding.
func (q *Queries) ShadowFinding(ctx context.Context, tenant, id string) (*ShadowFinding, error) {
	return projections.OneOr(ctx, q.Runner, Name, tenant, aegis.ErrShadowFindingNotFound, scanShadow, func(s string) string {
		return `SELECT ` + shadowColumns + ` FROM ` + s + `.shadow_findings WHERE tenant_id = $1 AND id = $2`
	}, tenant, id)
}

// ShadowService is one AI service's use across sources.
type ShadowService struct {
	Service     string    `json:"service"`
	ServiceHost string    `json:"service_host"`
	Category    string    `json:"category"`
	Sources     int       `json:"sources"`
	Shadow      int       `json:"shadow_sources"`
	Requests    int64     `json:"requests"`
	Bytes       int64     `json:"bytes"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	// States counts its findings by lifecycle state.
	States map[string]int `json:"states"`
}

// ShadowServices groups the findings by service, most requests first.
func (q *Queries) ShadowServices(ctx context.Context, tenant string, p projections.PageRequest) (projections.Page[ShadowService], error) {
	return projections.ReadPage(ctx, q.Runner, Name, tenant, func(s string) *projections.List {
		return projections.NewList(`(SELECT tenant_id, min(service) service, service_host, min(category) category, count(*) sources,
			count(*) FILTER (WHERE attribution = 'shadow') shadow, sum(requests)::bigint requests, sum(bytes)::bigint bytes, min(first_seen) first_seen,
			max(last_seen) last_seen, jsonb_object_agg(state, 1) states FROM `+s+`.shadow_findings GROUP BY tenant_id, service_host) g`,
			`service, service_host, category, sources, shadow, requests, bytes, first_seen, last_seen,
			(SELECT jsonb_object_agg(state, n) FROM (SELECT state, count(*) n FROM `+s+`.shadow_findings x WHERE x.tenant_id = g.tenant_id AND x.service_host = g.service_host GROUP BY state) c)`).
			Where("g.tenant_id = ?", tenant).OrderBy(false, projections.TextKey("service_host"))
	}, p, func(r pgx.CollectableRow) (ShadowService, error) {
		var v ShadowService
		err := r.Scan(&v.Service, &v.ServiceHost, &v.Category, &v.Sources, &v.Shadow, &v.Requests, &v.Bytes, &v.FirstSeen, &v.LastSeen, &v.States)
		return v, err
	}, func(v ShadowService) []any { return []any{v.ServiceHost} })
}

// ShadowSummary is the tenant's Shadow AI at a glance.
type ShadowSummary struct {
	Findings      int            `json:"findings"`
	Services      int            `json:"services"`
	Sources       int            `json:"sources"`
	ByState       map[string]int `json:"by_state"`
	ByAttribution map[string]int `json:"by_attribution"`
	ByCategory    map[string]int `json:"by_category"`
	BySeverity    map[string]int `json:"by_severity"`
	Requests      int64          `json:"requests"`
	// Ingested counts the logs, lines and malformed lines read.
	Logs      int        `json:"logs"`
	Lines     int64      `json:"lines"`
	Malformed int64      `json:"malformed"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
}

// ShadowSummary sums up the tenant's findings and logs.
func (q *Queries) ShadowSummary(ctx context.Context, tenant string) (*ShadowSummary, error) {
	out := &ShadowSummary{}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		agg := func(col string) string {
			return `coalesce((SELECT jsonb_object_agg(k, n) FROM (SELECT ` + col + ` k, count(*) n FROM ` + s + `.shadow_findings WHERE tenant_id = $1 GROUP BY 1) x), '{}')`
		}
		if err := tx.QueryRow(ctx, `SELECT count(*), count(DISTINCT service_host), count(DISTINCT source), coalesce(sum(requests), 0)::bigint, max(last_seen),
			`+agg("state")+`, `+agg("attribution")+`, `+agg("category")+`, `+agg("severity")+` FROM `+s+`.shadow_findings WHERE tenant_id = $1`, tenant).
			Scan(&out.Findings, &out.Services, &out.Sources, &out.Requests, &out.LastSeen, &out.ByState, &out.ByAttribution, &out.ByCategory, &out.BySeverity); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*), coalesce(sum(lines), 0)::bigint, coalesce(sum(malformed), 0)::bigint FROM `+s+`.shadow_ingests WHERE tenant_id = $1`,
			tenant).Scan(&out.Logs, &out.Lines, &out.Malformed)
	})
	return out, err
}
