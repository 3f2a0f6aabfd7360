package admin

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	rmgw "github.com/astrabastion/astra/projections/gateway"
)

// Where a quota comes from.
const (
	QuotaNone     = "none"
	QuotaSettings = "settings"
	QuotaLicense  = "license"
)

// Quotas are the quotas of every tenant from the settings (0: none); the
// running configuration answers them.
type Quotas interface {
	Quotas() (requestsPerMonth, tokensPerMonth, storageBytes int64)
}

// Measure is one usage against its quota.
type Measure struct {
	Used  int64  `json:"used" doc:"What the tenant used."`
	Quota *int64 `json:"quota" doc:"Its quota (null: none)."`
	// Source says where the quota comes from.
	Source   string `json:"quota_source" enum:"none,settings,license" doc:"Where the quota comes from: none, the tenant_quota_* settings (which win), or the licence."`
	Exceeded bool   `json:"exceeded" doc:"used is above the quota; reported, not enforced (gateway budgets enforce spending)."`
}

// Storage is what a tenant keeps.
type Storage struct {
	Measure
	LedgerBytes   int64 `json:"ledger_bytes" doc:"What the tenant's events weigh in the ledger."`
	EvidenceBytes int64 `json:"evidence_bytes" doc:"What the tenant's compliance evidence files weigh."`
}

// TenantSeats are a tenant's active users against the licence's seats.
type TenantSeats struct {
	ActiveUsers         int64 `json:"active_users" doc:"Active users of the tenant."`
	PlatformActiveUsers int64 `json:"platform_active_users" doc:"Active users of every tenant (what the licence's seats count)."`
	LicensedSeats       int   `json:"licensed_seats" doc:"Seats of the licence in force (0: unlimited)."`
	Over                bool  `json:"over" doc:"Every tenant together uses more seats than licensed."`
}

// TenantUsage is a tenant's use of the platform in a calendar month.
type TenantUsage struct {
	TenantID string    `json:"tenant_id" doc:"The tenant."`
	Month    string    `json:"month" doc:"The calendar month (UTC) the gateway figures count, YYYY-MM."`
	From     time.Time `json:"from" doc:"The month's start."`
	To       time.Time `json:"to" doc:"The month's end (exclusive)."`
	Requests Measure   `json:"requests" doc:"Gateway requests of the month against the monthly quota."`
	Tokens   Measure   `json:"tokens" doc:"Provider tokens of the month (cache hits use none) against the monthly quota."`
	// CostUSD is null when some tokens were of a model with no price.
	CostUSD          *float64         `json:"cost_usd" doc:"What the month's tokens cost; null when some were of a model with no price (see priced_cost_usd)."`
	PricedCostUSD    float64          `json:"priced_cost_usd" doc:"What the priced requests of the month cost."`
	UnpricedRequests int64            `json:"unpriced_requests" doc:"Requests of the month whose model has no price."`
	Storage          Storage          `json:"storage" doc:"Bytes the tenant keeps (ledger and evidence files; all time) against the storage quota."`
	Seats            TenantSeats      `json:"seats" doc:"Active users against the licence's seats."`
	Events           int64            `json:"events" doc:"Events the tenant recorded (all time)."`
	EventsByModule   map[string]int64 `json:"events_by_module" doc:"Events the tenant recorded by module (all time)."`
}

var usageQuery = []platform.Param{{Name: "month", Description: "The calendar month (UTC) of the gateway figures, YYYY-MM; the current month by default."}}

// measure compares used with the quota of the settings (when not 0) or of
// the licence (when not 0).
func measure(used, setting, licensed int64) Measure {
	m := Measure{Used: used, Source: QuotaNone}
	switch {
	case setting > 0:
		m.Quota, m.Source = &setting, QuotaSettings
	case licensed > 0:
		m.Quota, m.Source = &licensed, QuotaLicense
	}
	m.Exceeded = m.Quota != nil && used > *m.Quota
	return m
}

// usage answers a tenant's usage: a platform admin's for any tenant,
// another administrator's for their own only.
func (a *API) usage(c echo.Context) error {
	ctx := c.Request().Context()
	tenant := c.Param("id")
	p := auth.PrincipalOf(c)
	if p.Role != iam.RolePlatformAdmin && tenant != p.TenantID {
		return platform.Problem("AUTH-005", "A tenant's administrators read their own tenant's usage only.")
	}
	if t, err := a.IAM.TenantByID(ctx, tenant); err != nil || t == nil {
		if err == nil {
			err = iam.ErrTenantNotFound
		}
		return err
	}
	from := time.Now().UTC()
	from = time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if m := c.QueryParam("month"); m != "" {
		t, err := time.Parse("2006-01", m)
		if err != nil {
			return platform.Problem("VAL-005", "Query parameter 'month' must be a month such as 2025-06.")
		}
		from = t
	}
	to := from.AddDate(0, 1, 0)
	gw, err := a.Gateway.RequestUsage(ctx, tenant, rmgw.RequestFilter{From: &from, To: &to})
	if err != nil {
		return err
	}
	ledger, err := a.Ops.Ledger(ctx, tenant)
	if err != nil {
		return err
	}
	evidence, err := a.Compliance.EvidenceBytes(ctx, tenant)
	if err != nil {
		return err
	}
	users, err := a.activeUsers(c, tenant)
	if err != nil {
		return err
	}
	all, err := a.activeUsers(c, "*")
	if err != nil {
		return err
	}
	// An expired licence's quotas and seats no longer hold (community edition).
	var lq admin.Quotas
	seats := 0
	if in := a.Licensing.Installed(); in != nil && in.License.Status(a.now()) != admin.LicenseExpired {
		lq, seats = in.License.Quotas, in.License.Seats
	}
	sr, st, ss := a.Quotas.Quotas()
	out := TenantUsage{TenantID: tenant, Month: from.Format("2006-01"), From: from, To: to,
		Requests: measure(gw.Totals.Requests, sr, lq.RequestsPerMonth), Tokens: measure(gw.Totals.TotalTokens, st, lq.TokensPerMonth),
		CostUSD: gw.Totals.CostUSD, PricedCostUSD: gw.Totals.PricedCostUSD, UnpricedRequests: gw.Totals.UnpricedRequests,
		Storage: Storage{Measure: measure(ledger.Bytes+evidence, ss, lq.StorageBytes), LedgerBytes: ledger.Bytes, EvidenceBytes: evidence},
		Seats:   TenantSeats{ActiveUsers: users, PlatformActiveUsers: all, LicensedSeats: seats, Over: seats > 0 && all > int64(seats)},
		Events:  ledger.Events, EventsByModule: ledger.EventsByModule}
	return platform.Respond(c, http.StatusOK, out)
}
