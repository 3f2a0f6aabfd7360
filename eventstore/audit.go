package eventstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AuditFilter selects events of the ledger for auditors.
type AuditFilter struct {
	TenantID string // empty: every tenant (platform view)
	Type     string // full type or a module prefix such as "com.astra.iam."
	Subject  string
	Actor    string
	StreamID string
	From, To *time.Time
	After    int64 // position cursor
	Limit    int
}

// QueryAudit pages through the ledger in position order; the filters are bound
// parameters, never spliced into SQL.
func QueryAudit(ctx context.Context, pool *pgxpool.Pool, f AuditFilter) ([]Event, bool, error) {
	var conds []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	conds = append(conds, "position > "+arg(f.After))
	if f.TenantID != "" {
		conds = append(conds, "tenant_id = "+arg(f.TenantID))
	}
	if f.Type != "" {
		if strings.HasSuffix(f.Type, ".") || strings.HasSuffix(f.Type, "*") {
			conds = append(conds, "starts_with(type, "+arg(strings.TrimSuffix(f.Type, "*"))+")")
		} else {
			conds = append(conds, "type = "+arg(f.Type))
		}
	}
	if f.Subject != "" {
		conds = append(conds, "subject = "+arg(f.Subject))
	}
	if f.Actor != "" {
		conds = append(conds, "actor = "+arg(f.Actor))
	}
	if f.StreamID != "" {
		conds = append(conds, "stream_id = "+arg(f.StreamID))
	}
	if f.From != nil {
		conds = append(conds, "time >= "+arg(*f.From))
	}
	if f.To != nil {
		conds = append(conds, "time < "+arg(*f.To))
	}
	limit := f.Limit
	evs, err := queryEvents(ctx, pool, "WHERE "+strings.Join(conds, " AND ")+" ORDER BY position LIMIT "+arg(limit+1), args...)
	if err != nil {
		return nil, false, fmt.Errorf("audit: %w", err)
	}
	more := len(evs) > limit
	if more {
		evs = evs[:limit]
	}
	return evs, more, nil
}

// PositionOf returns the ledger position of an event id within a tenant (0 when unknown).
func PositionOf(ctx context.Context, pool *pgxpool.Pool, tenantID string, id uuid.UUID) (int64, error) {
	var pos int64
	err := pool.QueryRow(ctx, `SELECT position FROM events WHERE event_id = $1 AND tenant_id = $2`, id, tenantID).Scan(&pos)
	if err != nil {
		return 0, nil //nolint:nilerr // unknown id: caller decides
	}
	return pos, nil
}

// EventColumns are the events table's columns in the order ScanEvent reads
// them, for queries of the read side over the ledger (projections/ops).
const EventColumns = eventColumns

// ScanEvent reads one row of EventColumns.
func ScanEvent(row pgx.CollectableRow) (Event, error) {
	var e Event
	err := row.Scan(&e.Position, &e.ID, &e.StreamID, &e.Version, &e.TenantID, &e.Type, &e.Source, &e.Subject,
		&e.Actor, &e.Time, &e.CorrelationID, &e.CausationID, &e.SchemaVersion, &e.Data, &e.PrevHash, &e.Hash)
	e.Time = e.Time.UTC()
	return e, err
}

// CountSealed counts a tenant's ledger events, per type, that hold fields
// sealed under any of the subjects' data keys (the certificate of an
// erasure lists them). It reads every event of the tenant: an erasure is rare.
func CountSealed(ctx context.Context, pool *pgxpool.Pool, tenantID string, subjects []string) (map[string]int, error) {
	marks := make([]string, len(subjects))
	for i, s := range subjects {
		marks[i] = sealedPrefix + s + ":"
	}
	rows, err := pool.Query(ctx, `SELECT type, count(*) FROM events e WHERE tenant_id = $1
		AND EXISTS (SELECT 1 FROM unnest($2::text[]) m WHERE position(convert_to(m, 'UTF8') IN e.data) > 0) GROUP BY type`, tenantID, marks)
	if err != nil {
		return nil, fmt.Errorf("audit: count sealed: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var t string
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, err
		}
		out[t] = n
	}
	return out, rows.Err()
}
