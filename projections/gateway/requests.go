package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// Request is one gateway request in the log.
type Request struct {
	ID               string   `json:"id"`
	Principal        string   `json:"principal"`
	PrincipalKind    string   `json:"principal_kind"`
	Endpoint         string   `json:"endpoint"`
	Provider         string   `json:"provider"`
	Model            string   `json:"model"`
	PolicyID         string   `json:"policy_id"`
	PolicyVersion    int      `json:"policy_version"`
	Stream           bool     `json:"stream"`
	Status           int      `json:"status"`
	ErrorCode        string   `json:"error_code,omitempty"`
	Blocked          bool     `json:"blocked"`
	BlockedBy        string   `json:"blocked_by,omitempty"`
	CacheHit         bool     `json:"cache_hit"`
	InjectionScore   float64  `json:"injection_score"`
	Patterns         []string `json:"patterns"`
	PIITypes         []string `json:"pii_types"`
	Violations       []string `json:"policy_violations"`
	PromptTokens     int      `json:"prompt_tokens"`
	CompletionTokens int      `json:"completion_tokens"`
	TotalTokens      int      `json:"total_tokens"`
	// CostUSD is null when the model that answered has no price.
	CostUSD       *float64       `json:"cost_usd"`
	LatencyMs     float64        `json:"latency_ms"`
	PipelineMs    float64        `json:"pipeline_ms"`
	ProviderMs    float64        `json:"provider_ms"`
	Steps         []gw.StepTrace `json:"steps,omitempty"`
	ContentMode   string         `json:"content_mode"`
	Prompt        string         `json:"prompt,omitempty"`
	Completion    string         `json:"completion,omitempty"`
	StreamActions []string       `json:"stream_actions"`
	// Outcome is completed, blocked (by the policy) or failed (no provider
	// answered: Failure says why).
	Outcome  string              `json:"outcome" enum:"completed,blocked,failed"`
	Failure  *gw.ProviderFailure `json:"failure,omitempty"`
	Time     time.Time           `json:"time"`
	Position int64               `json:"-"`
}

// RequestFilter narrows the request log.
type RequestFilter struct {
	Provider, Model, Principal, PolicyID string
	Blocked                              *bool
	Outcome                              string // completed | blocked | failed
	From, To                             *time.Time
	AfterPosition                        int64
	Limit                                int
}

const requestColumns = `id, principal, principal_kind, endpoint, provider, model, policy_id, policy_version, stream, status,
	error_code, blocked, blocked_by, cache_hit, injection_score, patterns, pii_types, violations, prompt_tokens, completion_tokens,
	total_tokens, cost_usd, latency_ms, pipeline_ms, provider_ms, steps, content_mode, prompt, completion, stream_actions, time, position, outcome, failure`

func scanRequest(r pgx.CollectableRow) (Request, error) {
	var x Request
	var steps, failure []byte
	err := r.Scan(&x.ID, &x.Principal, &x.PrincipalKind, &x.Endpoint, &x.Provider, &x.Model, &x.PolicyID, &x.PolicyVersion, &x.Stream,
		&x.Status, &x.ErrorCode, &x.Blocked, &x.BlockedBy, &x.CacheHit, &x.InjectionScore, &x.Patterns, &x.PIITypes, &x.Violations,
		&x.PromptTokens, &x.CompletionTokens, &x.TotalTokens, &x.CostUSD, &x.LatencyMs, &x.PipelineMs, &x.ProviderMs, &steps,
		&x.ContentMode, &x.Prompt, &x.Completion, &x.StreamActions, &x.Time, &x.Position, &x.Outcome, &failure)
	if err == nil {
		err = json.Unmarshal(steps, &x.Steps)
	}
	if err == nil && failure != nil {
		err = json.Unmarshal(failure, &x.Failure)
	}
	return x, err
}

// condition is one filter with its argument ("?" stands for it).
type condition struct {
	sql string
	arg any
}

// conditions are the filter's conditions on the requests table (the
// position it continues after aside).
func (f RequestFilter) conditions() []condition {
	var out []condition
	for _, c := range []struct{ col, v string }{{"provider", f.Provider}, {"model", f.Model}, {"principal", f.Principal}, {"policy_id", f.PolicyID}} {
		if c.v != "" {
			out = append(out, condition{c.col + " = ?", c.v})
		}
	}
	if f.Blocked != nil {
		out = append(out, condition{"blocked = ?", *f.Blocked})
	}
	if f.Outcome != "" {
		out = append(out, condition{"outcome = ?", f.Outcome})
	}
	if f.From != nil {
		out = append(out, condition{"time >= ?", *f.From})
	}
	if f.To != nil {
		out = append(out, condition{"time < ?", *f.To})
	}
	return out
}

// where renders the filter, after its position, as a WHERE clause whose
// arguments it appends to args.
func (f RequestFilter) where(args *[]any) string {
	arg := func(v any) string { *args = append(*args, v); return "$" + strconv.Itoa(len(*args)) }
	conds := []string{"position > " + arg(f.AfterPosition)}
	for _, c := range f.conditions() {
		conds = append(conds, strings.Replace(c.sql, "?", arg(c.arg), 1))
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// Requests pages through a tenant's request log in order of recording
// (exports and backtests read it that way; the API's list is ListRequests).
func (q *Queries) Requests(ctx context.Context, tenantID string, f RequestFilter) ([]Request, bool, error) {
	var out []Request
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		var args []any
		where := f.where(&args)
		args = append(args, f.Limit+1)
		rows, err := tx.Query(ctx, `SELECT `+requestColumns+` FROM `+s+`.requests`+where+` ORDER BY position LIMIT $`+strconv.Itoa(len(args)), args...)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, scanRequest)
		return err
	})
	more := len(out) > f.Limit
	if more {
		out = out[:f.Limit]
	}
	return out, more, err
}

// Request finds one request; nil when none.
func (q *Queries) Request(ctx context.Context, tenantID, id string) (*Request, error) {
	var out *Request
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT `+requestColumns+` FROM `+s+`.requests WHERE id = $1`, id)
		if err != nil {
			return err
		}
		rs, err := pgx.CollectRows(rows, scanRequest)
		if len(rs) > 0 {
			out = &rs[0]
		}
		return err
	})
	if out == nil {
		return nil, nil
	}
	return out, err
}

// Group is one row of the statistics breakdown.
type Group struct {
	Provider  string  `json:"provider"`
	Model     string  `json:"model"`
	Principal string  `json:"principal"`
	Requests  int64   `json:"requests"`
	Blocked   int64   `json:"blocked"`
	Failed    int64   `json:"failed"`
	Tokens    int64   `json:"tokens"`
	CostUSD   float64 `json:"cost_usd"`
}

// Stats summarises a tenant's traffic.
type Stats struct {
	Requests  int64   `json:"requests"`
	Blocked   int64   `json:"blocked"`
	BlockRate float64 `json:"block_rate"` // blocked by the policy, per request (provider failures are not blocks)
	// Failed counts requests no provider answered, FailureRate per request,
	// FailedBy by cause (timeout, upstream_5xx, circuit_open, …).
	Failed      int64            `json:"failed"`
	FailureRate float64          `json:"failure_rate"`
	FailedBy    map[string]int64 `json:"failed_by"`
	CacheHits   int64            `json:"cache_hits"`
	Tokens      int64            `json:"tokens"`
	// CostUSD sums the known costs; UnpricedRequests counts the requests
	// that used tokens of a model with no price (their cost is unknown).
	CostUSD          float64          `json:"cost_usd"`
	UnpricedRequests int64            `json:"unpriced_requests"`
	LatencyMsP50     float64          `json:"latency_ms_p50"`
	LatencyMsP95     float64          `json:"latency_ms_p95"`
	LatencyMsP99     float64          `json:"latency_ms_p99"`
	PipelineP50      float64          `json:"pipeline_ms_p50"`
	PipelineP99      float64          `json:"pipeline_ms_p99"`
	ByBlocker        map[string]int64 `json:"blocked_by"`
	Groups           []Group          `json:"by_provider_model_principal"`
}

// RequestStats summarises the log of a period.
func (q *Queries) RequestStats(ctx context.Context, tenantID string, from, to *time.Time) (*Stats, error) {
	st := &Stats{ByBlocker: map[string]int64{}, FailedBy: map[string]int64{}, Groups: []Group{}}
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		f := RequestFilter{From: from, To: to}
		var args []any
		where := f.where(&args)
		if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE blocked), count(*) FILTER (WHERE outcome = 'failed'),
			count(*) FILTER (WHERE cache_hit), coalesce(sum(total_tokens), 0), coalesce(sum(cost_usd), 0),
			count(*) FILTER (WHERE cost_usd IS NULL),
			coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), 0), coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms), 0),
			coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms), 0), coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY pipeline_ms), 0),
			coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY pipeline_ms), 0) FROM `+s+`.requests`+where, args...).
			Scan(&st.Requests, &st.Blocked, &st.Failed, &st.CacheHits, &st.Tokens, &st.CostUSD, &st.UnpricedRequests, &st.LatencyMsP50, &st.LatencyMsP95, &st.LatencyMsP99,
				&st.PipelineP50, &st.PipelineP99); err != nil {
			return err
		}
		if st.Requests > 0 {
			st.BlockRate = float64(st.Blocked) / float64(st.Requests)
			st.FailureRate = float64(st.Failed) / float64(st.Requests)
		}
		for _, by := range []struct {
			sql  string
			into map[string]int64
		}{{`SELECT blocked_by, count(*) FROM ` + s + `.requests` + where + ` AND blocked GROUP BY blocked_by`, st.ByBlocker},
			{`SELECT failure_cause, count(*) FROM ` + s + `.requests` + where + ` AND outcome = 'failed' GROUP BY failure_cause`, st.FailedBy}} {
			rows, err := tx.Query(ctx, by.sql, args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k string
				var n int64
				if err := rows.Scan(&k, &n); err != nil {
					rows.Close()
					return err
				}
				by.into[k] = n
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT provider, model, principal, count(*), count(*) FILTER (WHERE blocked),
			count(*) FILTER (WHERE outcome = 'failed'), coalesce(sum(total_tokens), 0),
			coalesce(sum(cost_usd), 0) FROM `+s+`.requests`+where+` GROUP BY provider, model, principal ORDER BY count(*) DESC LIMIT 200`, args...)
		if err != nil {
			return err
		}
		st.Groups, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Group, error) {
			var g Group
			return g, r.Scan(&g.Provider, &g.Model, &g.Principal, &g.Requests, &g.Blocked, &g.Failed, &g.Tokens, &g.CostUSD)
		})
		return err
	})
	return st, err
}

// ErrNoRequests is returned when a period holds no recorded requests.
var ErrNoRequests = errors.New("gateway: no requests in the period")

// UsageRow is a day's usage of one provider, model and principal.
type UsageRow struct {
	Day              string `json:"day"` // YYYY-MM-DD, UTC
	Provider         string `json:"provider"`
	Model            string `json:"model"`
	Principal        string `json:"principal"`
	Requests         int64  `json:"requests"`
	Blocked          int64  `json:"blocked"`
	CacheHits        int64  `json:"cache_hits"`
	PromptTokens     int64  `json:"prompt_tokens"`
	CompletionTokens int64  `json:"completion_tokens"`
	TotalTokens      int64  `json:"total_tokens"`
	// CostUSD is the cost of the tokens, null when some of them were of a
	// model with no price (UnpricedRequests > 0): the total is then
	// unknown, and PricedCostUSD is what the priced requests cost.
	CostUSD          *float64 `json:"cost_usd"`
	PricedCostUSD    float64  `json:"priced_cost_usd"`
	UnpricedRequests int64    `json:"unpriced_requests"`
}

// UsageTotals sums the rows of a usage report.
type UsageTotals struct {
	Requests         int64 `json:"requests"`
	Blocked          int64 `json:"blocked"`
	CacheHits        int64 `json:"cache_hits"`
	PromptTokens     int64 `json:"prompt_tokens"`
	CompletionTokens int64 `json:"completion_tokens"`
	TotalTokens      int64 `json:"total_tokens"`
	// CostUSD is the cost of the tokens, null when some of them were of a
	// model with no price (UnpricedRequests > 0): the total is then
	// unknown, and PricedCostUSD is what the priced requests cost.
	CostUSD          *float64 `json:"cost_usd"`
	PricedCostUSD    float64  `json:"priced_cost_usd"`
	UnpricedRequests int64    `json:"unpriced_requests"`
}

// Usage is a tenant's token and cost usage per day, by provider, model and
// principal, from the request log. Tokens and cost count what providers
// consumed: a cache hit is a request but costs no tokens (as for budgets).
type Usage struct {
	From      time.Time   `json:"from"`
	To        time.Time   `json:"to"`
	Totals    UsageTotals `json:"totals"`
	Days      []UsageRow  `json:"days"`
	Truncated bool        `json:"truncated"`
}

// MaxUsageRows bounds a usage report's rows (the totals are always complete).
const MaxUsageRows = 5000

// RequestUsage reports usage between f.From and f.To (both required),
// narrowed by f's provider, model and principal.
func (q *Queries) RequestUsage(ctx context.Context, tenantID string, f RequestFilter) (*Usage, error) {
	u := &Usage{Days: []UsageRow{}}
	if f.From != nil {
		u.From = *f.From
	}
	if f.To != nil {
		u.To = *f.To
	}
	err := q.Runner.Read(ctx, Name, tenantID, func(tx pgx.Tx, s string) error {
		var args []any
		where := f.where(&args)
		const sums = `count(*), count(*) FILTER (WHERE blocked), count(*) FILTER (WHERE cache_hit),
			coalesce(sum(prompt_tokens) FILTER (WHERE NOT cache_hit), 0), coalesce(sum(completion_tokens) FILTER (WHERE NOT cache_hit), 0),
			coalesce(sum(total_tokens) FILTER (WHERE NOT cache_hit), 0), coalesce(sum(cost_usd) FILTER (WHERE NOT cache_hit), 0),
			count(*) FILTER (WHERE NOT cache_hit AND cost_usd IS NULL)`
		t := &u.Totals
		if err := tx.QueryRow(ctx, `SELECT `+sums+` FROM `+s+`.requests`+where, args...).
			Scan(&t.Requests, &t.Blocked, &t.CacheHits, &t.PromptTokens, &t.CompletionTokens, &t.TotalTokens, &t.PricedCostUSD, &t.UnpricedRequests); err != nil {
			return err
		}
		t.CostUSD = costIfKnown(t.PricedCostUSD, t.UnpricedRequests)
		rows, err := tx.Query(ctx, `SELECT to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD'), provider, model, principal, `+sums+`
			FROM `+s+`.requests`+where+` GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 LIMIT `+strconv.Itoa(MaxUsageRows+1), args...)
		if err != nil {
			return err
		}
		u.Days, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (UsageRow, error) {
			var x UsageRow
			return x, r.Scan(&x.Day, &x.Provider, &x.Model, &x.Principal, &x.Requests, &x.Blocked, &x.CacheHits,
				&x.PromptTokens, &x.CompletionTokens, &x.TotalTokens, &x.PricedCostUSD, &x.UnpricedRequests)
		})
		for i := range u.Days {
			u.Days[i].CostUSD = costIfKnown(u.Days[i].PricedCostUSD, u.Days[i].UnpricedRequests)
		}
		return err
	})
	if len(u.Days) > MaxUsageRows {
		u.Days, u.Truncated = u.Days[:MaxUsageRows], true
	}
	return u, err
}

// costIfKnown is a sum of costs, nil (unknown) when some requests had no price.
func costIfKnown(priced float64, unpriced int64) *float64 {
	if unpriced > 0 {
		return nil
	}
	return &priced
}
