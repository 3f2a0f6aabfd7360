package gateway

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/datagov"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// A data subject's erasure (data_gov.SubjectErased) cannot shred the prompts
// and completions of their requests: those are sealed under the tenant's
// monthly content keys, shared with everyone else's. The request log redacts
// them instead: the rows of the subject's principals lose their content, and
// the principals are kept so that records applied after the erasure (a
// replay, where partitions interleave freely) are redacted as they land.
const erasedContentMode = "erased"

func setupErasure(ctx context.Context, tx pgx.Tx, s string) error {
	_, err := tx.Exec(ctx, `CREATE TABLE `+s+`.erased_principals (tenant_id text NOT NULL, principal text NOT NULL, erased_at timestamptz NOT NULL,
		PRIMARY KEY (tenant_id, principal))`)
	return err
}

func applySubjectErased(ctx context.Context, tx pgx.Tx, s string, e *eventstore.Event, d *datagov.SubjectErasedV1) error {
	if len(d.Principals) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO `+s+`.erased_principals (tenant_id, principal, erased_at) SELECT $1, p, $3 FROM unnest($2::text[]) p
		ON CONFLICT DO NOTHING`, e.TenantID, d.Principals, e.Time); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE `+s+`.requests SET prompt = '', completion = '', content_mode = $3
		WHERE tenant_id = $1 AND principal = ANY ($2) AND (prompt <> '' OR completion <> '')`, e.TenantID, d.Principals, erasedContentMode)
	return err
}

// ContentMonths counts a tenant's request records with kept content per
// content key (read from the sealed values themselves), of the given
// principals, or of everyone when principals is nil.
func (q *Queries) ContentMonths(ctx context.Context, tenant string, principals []string) ([]datagov.MonthContent, error) {
	out := []datagov.MonthContent{}
	err := q.Runner.Read(ctx, Name, tenant, func(tx pgx.Tx, s string) error {
		rows, err := tx.Query(ctx, `SELECT split_part(coalesce(nullif(prompt, ''), completion), ':', 3) AS key, count(*), min(time), max(time)
			FROM `+s+`.requests WHERE tenant_id = $1 AND (prompt <> '' OR completion <> '') AND ($2::text[] IS NULL OR principal = ANY ($2))
			GROUP BY 1 ORDER BY 1`, tenant, principals)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m datagov.MonthContent
			var from, to time.Time
			if err := rows.Scan(&m.Key, &m.Requests, &from, &to); err != nil {
				return err
			}
			m.From, m.To = &from, &to
			if month, ok := gw.ContentMonth(tenant, m.Key); ok {
				m.Month = month.Format(gw.ContentMonthLayout)
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	return out, err
}
