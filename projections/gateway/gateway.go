// Package gateway projects the gateway's events into read models: providers,
// policy versions, kill switches, budgets, cache and detector settings, the
// request log and usage, and answers the queries over them.
package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Name of the projection.
const Name = "gateway"

// Projection builds the gateway read models.
type Projection struct{}

var _ projections.Projection = (*Projection)(nil)

// Name implements projections.Projection.
func (p *Projection) Name() string { return Name }

// Topics implements projections.Projection.
func (p *Projection) Topics() []string {
	return []string{events.TopicFor("gateway"), events.TrafficTopicFor("gateway"), events.TopicFor(datagov.Module)}
}

// HighVolume implements projections.HighVolume: the request log.
func (p *Projection) HighVolume() bool { return true }

// Setup implements projections.Projection.
func (p *Projection) Setup(ctx context.Context, tx pgx.Tx, s string) error {
	_, err := tx.Exec(ctx, `
		CREATE TABLE `+s+`.providers (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, kind text NOT NULL, base_url text NOT NULL,
			models text[] NOT NULL, api_key text NOT NULL DEFAULT '', settings jsonb NOT NULL, headers jsonb NOT NULL DEFAULT '{}',
			removed boolean NOT NULL DEFAULT false, version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL,
			credentials_rotated_at timestamptz);
		CREATE UNIQUE INDEX ON `+s+`.providers (tenant_id, name) WHERE NOT removed;
		CREATE TABLE `+s+`.policies (
			id text PRIMARY KEY, tenant_id text NOT NULL, name text NOT NULL, current_version int NOT NULL, policy jsonb NOT NULL,
			deleted boolean NOT NULL DEFAULT false, stream_version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE TABLE `+s+`.policy_versions (
			policy_id text NOT NULL, tenant_id text NOT NULL, version int NOT NULL, policy jsonb NOT NULL, kind text NOT NULL,
			rolled_back_from int, actor text NOT NULL, created_at timestamptz NOT NULL, PRIMARY KEY (policy_id, version));
		CREATE TABLE `+s+`.kill_switches (
			id text PRIMARY KEY, tenant_id text NOT NULL, scope_kind text NOT NULL, scope_value text NOT NULL, reason text NOT NULL,
			active boolean NOT NULL, activated_by text NOT NULL, activated_at timestamptz NOT NULL,
			deactivated_by text, deactivated_at timestamptz, deactivation_reason text);
		CREATE INDEX ON `+s+`.kill_switches (tenant_id, active);
		CREATE TABLE `+s+`.budgets (
			id text PRIMARY KEY, tenant_id text NOT NULL, subject text NOT NULL, period text NOT NULL, max_tokens bigint NOT NULL,
			max_cost_usd double precision NOT NULL, action text NOT NULL, deleted boolean NOT NULL DEFAULT false,
			version bigint NOT NULL, created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL);
		CREATE TABLE `+s+`.cache_config (
			tenant_id text PRIMARY KEY, enabled boolean NOT NULL, ttl_seconds int NOT NULL, max_entries int NOT NULL, updated_at timestamptz NOT NULL);
		CREATE TABLE `+s+`.detector_settings (
			tenant_id text NOT NULL, detector text NOT NULL, enabled boolean NOT NULL, threshold double precision NOT NULL,
			updated_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, detector));
		CREATE TABLE `+s+`.requests (
			id text PRIMARY KEY, tenant_id text NOT NULL, principal text NOT NULL, principal_kind text NOT NULL, endpoint text NOT NULL,
			provider text NOT NULL, model text NOT NULL, policy_id text NOT NULL, policy_version int NOT NULL, stream boolean NOT NULL,
			status int NOT NULL, error_code text NOT NULL, blocked boolean NOT NULL, blocked_by text NOT NULL, cache_hit boolean NOT NULL,
			injection_score double precision NOT NULL, patterns text[] NOT NULL, pii_types text[] NOT NULL, violations text[] NOT NULL,
			prompt_tokens int NOT NULL, completion_tokens int NOT NULL, total_tokens int NOT NULL, cost_usd double precision,
			latency_ms double precision NOT NULL, pipeline_ms double precision NOT NULL, provider_ms double precision NOT NULL,
			steps json NOT NULL, content_mode text NOT NULL, prompt text NOT NULL, completion text NOT NULL,
			stream_actions text[] NOT NULL, time timestamptz NOT NULL, position bigint NOT NULL,
			outcome text NOT NULL, failure_cause text NOT NULL, failure json);
		CREATE INDEX ON `+s+`.requests (tenant_id, time);
		CREATE INDEX ON `+s+`.requests (tenant_id, position);
	`)
	if err != nil {
		return err
	}
	for _, t := range []string{"providers", "policies", "policy_versions", "kill_switches", "budgets", "cache_config", "detector_settings", "requests"} {
		if _, err := tx.Exec(ctx, projections.TenantPolicy(s, t)); err != nil {
			return err
		}
	}
	if err := setupErasure(ctx, tx, s); err != nil {
		return err
	}
	return setupRouting(ctx, tx, s)
}

// Apply implements projections.Projection: request records, the bulk of the
// log, are gathered and inserted with one statement per batch; every other
// event goes through the typed table, in order. The two never touch the same
// rows, so applying the records after the batch's other events changes
// nothing a replay could see.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, s string, evs []eventstore.Event) error {
	var reqs requestBatch
	for i := range evs {
		e := &evs[i]
		if e.Type == requestCompleted || e.Type == requestBlocked || e.Type == requestFailed {
			// The step trace goes to its json column as it was recorded:
			// decoding and re-encoding it was most of this projection's work,
			// and converting it to jsonb a third of the row's insert (nothing
			// queries inside it; the API returns it whole).
			var d recordedRequest
			if err := e.Decode(&d); err != nil {
				return fmt.Errorf("projections/gateway: %s %s/%d: %w", e.Type, e.StreamID, e.Version, err)
			}
			reqs.add(e, &d)
			continue
		}
		if err := table.Apply(ctx, tx, s, evs[i:i+1]); err != nil {
			return err
		}
	}
	if len(reqs.ids) > 0 {
		return reqs.insert(ctx, tx, s)
	}
	return nil
}

// Types lists the event types the projection applies (the start-up check
// that it consumes their topics reads it).
func (p *Projection) Types() []events.Type {
	return append(table.Types(), gw.RequestCompleted, gw.RequestBlocked, gw.RequestFailed)
}

var requestCompleted, requestBlocked, requestFailed = gw.RequestCompleted.CEType(), gw.RequestBlocked.CEType(), gw.RequestFailed.CEType()

// recordedRequest is a request record with its step trace left as recorded.
type recordedRequest struct {
	gw.RequestRecordedV1
	Steps json.RawMessage `json:"steps"`
}

// requestBatch holds request records, the bulk of the log, as the columns
// of the requests table: one statement inserts them all from arrays (binary
// parameters, nothing to parse per row but the step trace; an insert from a
// JSON array parsed every field). List columns travel as array literals.
type requestBatch struct {
	ids, tenants, principals, kinds, endpoints, providers, models, policies []string
	codes, blockedBy, patterns, piiTypes, violations, steps, modes, prompts []string
	completions, actions, outcomes, causes, failures                        []string
	policyVersions, statuses, promptTokens, completionTokens, totalTokens   []int32
	streams, blocked, cacheHits                                             []bool
	scores, latencies, pipelines, providerMs                                []float64
	costs                                                                   []*float64 // nil: no price
	times                                                                   []time.Time
	positions                                                               []int64
}

func (b *requestBatch) add(e *eventstore.Event, d *recordedRequest) {
	steps := string(d.Steps)
	if steps == "" || steps == "null" {
		steps = "[]"
	}
	b.ids, b.tenants, b.principals, b.kinds = append(b.ids, d.RequestID), append(b.tenants, e.TenantID), append(b.principals, d.Principal), append(b.kinds, d.PrincipalKind)
	b.endpoints, b.providers, b.models, b.policies = append(b.endpoints, d.Endpoint), append(b.providers, d.Provider), append(b.models, d.Model), append(b.policies, d.PolicyID)
	b.codes, b.blockedBy, b.steps, b.modes = append(b.codes, d.ErrorCode), append(b.blockedBy, d.BlockedBy), append(b.steps, steps), append(b.modes, d.ContentMode)
	b.prompts, b.completions = append(b.prompts, d.Prompt), append(b.completions, d.Completion)
	b.patterns, b.piiTypes = append(b.patterns, arrayLiteral(d.Patterns)), append(b.piiTypes, arrayLiteral(d.PIITypes))
	b.violations, b.actions = append(b.violations, arrayLiteral(d.Violations)), append(b.actions, arrayLiteral(d.StreamActions))
	b.policyVersions, b.statuses = append(b.policyVersions, int32(d.PolicyVersion)), append(b.statuses, int32(d.Status))
	b.promptTokens, b.completionTokens = append(b.promptTokens, int32(d.Usage.PromptTokens)), append(b.completionTokens, int32(d.Usage.CompletionTokens))
	b.totalTokens = append(b.totalTokens, int32(d.Usage.TotalTokens))
	b.streams, b.blocked, b.cacheHits = append(b.streams, d.Stream), append(b.blocked, d.Blocked), append(b.cacheHits, d.CacheHit)
	b.scores, b.costs, b.latencies = append(b.scores, finite(d.Injection)), append(b.costs, finiteOrNull(d.CostUSD)), append(b.latencies, finite(d.LatencyMs))
	b.pipelines, b.providerMs = append(b.pipelines, finite(d.PipelineMs)), append(b.providerMs, finite(d.ProviderMs))
	b.times, b.positions = append(b.times, e.Time), append(b.positions, e.Position)
	outcome, failure := outcomeOf(e.Type, d)
	cause, raw := "", ""
	if failure != nil {
		j, _ := json.Marshal(failure)
		cause, raw = failure.Cause, string(j)
		b.blocked[len(b.blocked)-1], b.blockedBy[len(b.blockedBy)-1] = false, ""
	}
	b.outcomes, b.causes, b.failures = append(b.outcomes, outcome), append(b.causes, cause), append(b.failures, raw)
}

// insert writes the batch; a redelivered record changes nothing. The content
// of an erased subject's principals is not kept (see erasure.go).
func (b *requestBatch) insert(ctx context.Context, tx pgx.Tx, s string) error {
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.requests (id, tenant_id, principal, principal_kind, endpoint, provider, model, policy_id,
		policy_version, stream, status, error_code, blocked, blocked_by, cache_hit, injection_score, patterns, pii_types, violations,
		prompt_tokens, completion_tokens, total_tokens, cost_usd, latency_ms, pipeline_ms, provider_ms, steps, content_mode, prompt,
		completion, stream_actions, time, position, outcome, failure_cause, failure)
		SELECT id, tenant_id, principal, principal_kind, endpoint, provider, model, policy_id, policy_version, stream, status, error_code,
			blocked, blocked_by, cache_hit, injection_score, patterns::text[], pii_types::text[], violations::text[], prompt_tokens,
			completion_tokens, total_tokens, cost_usd, latency_ms, pipeline_ms, provider_ms, steps::json,
			CASE WHEN erased THEN '`+erasedContentMode+`' ELSE content_mode END, CASE WHEN erased THEN '' ELSE prompt END,
			CASE WHEN erased THEN '' ELSE completion END, stream_actions::text[], time, position, outcome, failure_cause, nullif(failure, '')::json
		FROM (SELECT *, (prompt <> '' OR completion <> '') AND EXISTS (SELECT 1 FROM `+s+`.erased_principals x
			WHERE x.tenant_id = u.tenant_id AND x.principal = u.principal) AS erased
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[],
			$10::bool[], $11::int[], $12::text[], $13::bool[], $14::text[], $15::bool[], $16::float8[], $17::text[], $18::text[],
			$19::text[], $20::int[], $21::int[], $22::int[], $23::float8[], $24::float8[], $25::float8[], $26::float8[], $27::text[],
			$28::text[], $29::text[], $30::text[], $31::text[], $32::timestamptz[], $33::bigint[], $34::text[], $35::text[], $36::text[])
			AS u(id, tenant_id, principal, principal_kind, endpoint, provider, model, policy_id, policy_version, stream, status,
				error_code, blocked, blocked_by, cache_hit, injection_score, patterns, pii_types, violations, prompt_tokens,
				completion_tokens, total_tokens, cost_usd, latency_ms, pipeline_ms, provider_ms, steps, content_mode, prompt,
				completion, stream_actions, time, position, outcome, failure_cause, failure)) u
		ON CONFLICT (id) DO NOTHING`,
		b.ids, b.tenants, b.principals, b.kinds, b.endpoints, b.providers, b.models, b.policies, b.policyVersions, b.streams,
		b.statuses, b.codes, b.blocked, b.blockedBy, b.cacheHits, b.scores, b.patterns, b.piiTypes, b.violations, b.promptTokens,
		b.completionTokens, b.totalTokens, b.costs, b.latencies, b.pipelines, b.providerMs, b.steps, b.modes, b.prompts,
		b.completions, b.actions, b.times, b.positions, b.outcomes, b.causes, b.failures)
	return err
}

// arrayLiteral renders a text array as a Postgres array literal, every
// element quoted: {"a","b \"c\""}.
func arrayLiteral(xs []string) string {
	if len(xs) == 0 {
		return "{}"
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for _, c := range []byte(x) {
			if c == '"' || c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// finite keeps a number JSON can carry (NaN and infinities read as 0).
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// finiteOrNull keeps an unknown cost unknown (NULL) and a known one finite.
func finiteOrNull(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := finite(*f)
	return &v
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// table applies the administration's events, one typed applier per type.
var table = func() *projections.Table {
	t := projections.NewTable()
	projections.On(t, gw.ProviderRegistered, applyProviderRegistered)
	projections.On(t, gw.ProviderUpdated, applyProviderUpdated)
	projections.On(t, gw.ProviderCredentialsRotated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.ProviderCredentialsRotatedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.providers SET api_key = $2, version = $3, updated_at = $4, credentials_rotated_at = $4 WHERE id = $1`,
			d.ProviderID, d.APIKey, e.Version, e.Time)
		return err
	})
	projections.On(t, gw.ProviderRemoved, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.ProviderRemovedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.providers SET removed = true, version = $2, updated_at = $3 WHERE id = $1`, d.ProviderID, e.Version, e.Time)
		return err
	})
	projections.On(t, gw.PolicyCreated, applyPolicyVersion("created"))
	projections.On(t, gw.PolicyUpdated, applyPolicyVersion("updated"))
	projections.On(t, gw.PolicyRolledBack, applyPolicyVersion("rolled_back"))
	projections.On(t, gw.PolicyDeleted, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.PolicyDeletedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.policies SET deleted = true, stream_version = $2, updated_at = $3 WHERE id = $1`, d.PolicyID, e.Version, e.Time)
		return err
	})
	projections.On(t, gw.KillSwitchActivated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.KillSwitchV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.kill_switches (id, tenant_id, scope_kind, scope_value, reason, active, activated_by, activated_at)
			VALUES ($1, $2, $3, $4, $5, true, $6, $7) ON CONFLICT (id) DO NOTHING`, d.SwitchID, e.TenantID, d.Scope.Kind, d.Scope.Value, d.Reason, e.Actor, e.Time)
		return err
	})
	projections.On(t, gw.KillSwitchDeactivated, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.KillSwitchV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.kill_switches SET active = false, deactivated_by = $2, deactivated_at = $3, deactivation_reason = $4
			WHERE id = $1`, d.SwitchID, e.Actor, e.Time, d.Reason)
		return err
	})
	projections.On(t, gw.BudgetSet, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.BudgetSetV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.budgets (id, tenant_id, subject, period, max_tokens, max_cost_usd, action, version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, period = excluded.period,
			max_tokens = excluded.max_tokens, max_cost_usd = excluded.max_cost_usd, action = excluded.action, version = excluded.version,
			updated_at = excluded.updated_at`, d.BudgetID, e.TenantID, d.Subject, d.Period, d.MaxTokens, d.MaxCostUSD, d.Action, e.Version, e.Time)
		return err
	})
	projections.On(t, gw.BudgetDeleted, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.BudgetDeletedV1) error {
		_, err := tx.Exec(ctx, `UPDATE `+s+`.budgets SET deleted = true, version = $2, updated_at = $3 WHERE id = $1`, d.BudgetID, e.Version, e.Time)
		return err
	})
	projections.On(t, gw.CacheConfigured, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.CacheConfiguredV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.cache_config (tenant_id, enabled, ttl_seconds, max_entries, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, ttl_seconds = excluded.ttl_seconds,
			max_entries = excluded.max_entries, updated_at = excluded.updated_at`, e.TenantID, d.Enabled, d.TTLSeconds, d.MaxEntries, e.Time)
		return err
	})
	projections.On(t, datagov.SubjectErased, applySubjectErased)
	projections.On(t, gw.DetectorTuned, func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.DetectorTunedV1) error {
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.detector_settings (tenant_id, detector, enabled, threshold, updated_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (tenant_id, detector) DO UPDATE SET enabled = excluded.enabled, threshold = excluded.threshold, updated_at = excluded.updated_at`,
			e.TenantID, d.Detector, d.Enabled, d.Threshold, e.Time)
		return err
	})
	return t
}()

func applyProviderRegistered(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.ProviderRegisteredV1) error {
	headers := d.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO `+s+`.providers (id, tenant_id, name, kind, base_url, models, api_key, settings, headers,
		version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) ON CONFLICT DO NOTHING`,
		d.ProviderID, d.TenantID, d.Name, d.Kind, d.BaseURL, nonNil(d.Models), d.APIKey, d.Settings, headers, e.Version, e.Time)
	return err
}

func applyProviderUpdated(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.ProviderUpdatedV1) error {
	// A rename onto a name another live provider of the tenant holds (two
	// concurrent requests can both pass the API's check) keeps the old name:
	// an event must never stop the projection.
	_, err := tx.Exec(ctx, `UPDATE `+s+`.providers p SET name = CASE WHEN $2::text IS NULL OR EXISTS (SELECT 1 FROM `+s+`.providers o
			WHERE o.tenant_id = p.tenant_id AND o.name = $2 AND o.id <> p.id AND NOT o.removed) THEN p.name ELSE $2 END,
		base_url = coalesce($3, base_url), models = coalesce($4, models), settings = coalesce($5, settings), version = $6, updated_at = $7
		WHERE id = $1`,
		d.ProviderID, d.Name, d.BaseURL, d.Models, d.Settings, e.Version, e.Time)
	return err
}

// applyPolicyVersion records a version of a policy (kind: how it came to be)
// and makes it the policy's current one.
func applyPolicyVersion(kind string) projections.Applier[gw.PolicyVersionedV1] {
	return func(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *gw.PolicyVersionedV1) error {
		var from any
		if d.From > 0 {
			from = d.From
		}
		if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.policy_versions (policy_id, tenant_id, version, policy, kind, rolled_back_from, actor, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`, d.PolicyID, e.TenantID, d.Version, d.Policy, kind, from, e.Actor, e.Time); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO `+s+`.policies (id, tenant_id, name, current_version, policy, stream_version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, current_version = excluded.current_version, policy = excluded.policy,
				stream_version = excluded.stream_version, updated_at = excluded.updated_at`,
			d.PolicyID, e.TenantID, d.Policy.Name, d.Version, d.Policy, e.Version, e.Time)
		return err
	}
}
