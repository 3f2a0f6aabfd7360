package platformmod

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

// Delivery states.
const (
	DeliveryPending    = "pending"
	DeliveryDelivering = "delivering"
	DeliveryDelivered  = "delivered"
	DeliveryDead       = "dead"
)

// Lease is how long a claim holds a delivery: longer than an attempt may
// take (15 s), so that a claim expires only when its instance died.
const Lease = 60 * time.Second

// Deliveries is the webhook delivery queue (table platform_deliveries).
type Deliveries struct {
	Pool   *pgxpool.Pool
	Runner *projections.Runner
}

// queued is the part of a ledger event a delivery sends (its payload as the
// ledger holds it: personal fields are opened when sent, so that an erasure
// reaches queued deliveries too).
type queued struct {
	ID            uuid.UUID       `json:"id"`
	Type          string          `json:"type"`
	Source        string          `json:"source"`
	Subject       string          `json:"subject"`
	Time          time.Time       `json:"time"`
	TenantID      string          `json:"tenant_id"`
	Actor         string          `json:"actor"`
	StreamID      string          `json:"stream_id"`
	Version       int64           `json:"version"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	SchemaVersion int             `json:"schema_version"`
	Position      int64           `json:"position"`
	Data          json.RawMessage `json:"data"`
}

func encodeEvent(e *eventstore.Event) ([]byte, error) {
	return json.Marshal(queued{ID: e.ID, Type: e.Type, Source: e.Source, Subject: e.Subject, Time: e.Time, TenantID: e.TenantID, Actor: e.Actor,
		StreamID: e.StreamID, Version: e.Version, CorrelationID: e.CorrelationID, CausationID: e.CausationID, SchemaVersion: e.SchemaVersion,
		Position: e.Position, Data: e.Data})
}

func decodeEvent(b []byte) (eventstore.Event, error) {
	var q queued
	if err := json.Unmarshal(b, &q); err != nil {
		return eventstore.Event{}, err
	}
	return eventstore.Event{ID: q.ID, Type: q.Type, Source: q.Source, Subject: q.Subject, Time: q.Time, TenantID: q.TenantID, Actor: q.Actor,
		StreamID: q.StreamID, Version: q.Version, CorrelationID: q.CorrelationID, CausationID: q.CausationID, SchemaVersion: q.SchemaVersion,
		Position: q.Position, Data: q.Data}, nil
}

// Enqueue queues e for each integration (a redelivered event changes
// nothing: one row per integration and event).
func (d *Deliveries) Enqueue(ctx context.Context, e *eventstore.Event, integrationIDs []string) error {
	if len(integrationIDs) == 0 {
		return nil
	}
	body, err := encodeEvent(e)
	if err != nil {
		return err
	}
	_, err = d.Pool.Exec(ctx, `INSERT INTO platform_deliveries (tenant_id, integration_id, event_id, event_type, position, event, state, next_at)
		SELECT $1, unnest($2::text[]), $3, $4, $5, $6, 'pending', now() ON CONFLICT (integration_id, event_id) DO NOTHING`,
		e.TenantID, integrationIDs, e.ID, e.Type, e.Position, body)
	return err
}

// Requeue queues events again for an integration (a replay): a delivered or
// dead-lettered one starts its schedule over, a pending one stays as it is.
func (d *Deliveries) Requeue(ctx context.Context, integrationID string, evs []eventstore.Event) (int, error) {
	b := &pgx.Batch{}
	for i := range evs {
		body, err := encodeEvent(&evs[i])
		if err != nil {
			return 0, err
		}
		b.Queue(`INSERT INTO platform_deliveries (tenant_id, integration_id, event_id, event_type, position, event, state, next_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'pending', now()) ON CONFLICT (integration_id, event_id) DO UPDATE
			SET state = 'pending', attempts = 0, next_at = now(), last_error = NULL, updated_at = now()
			WHERE platform_deliveries.state IN ('delivered', 'dead')`,
			evs[i].TenantID, integrationID, evs[i].ID, evs[i].Type, evs[i].Position, body)
	}
	if b.Len() == 0 {
		return 0, nil
	}
	return len(evs), d.Pool.SendBatch(ctx, b).Close()
}

// Claim is one delivery an instance holds.
type Claim struct {
	ID            int64
	IntegrationID string
	Attempt       int
	Event         eventstore.Event
}

// Claim takes up to limit due deliveries of active integrations (and those
// whose claim expired) for instance, for Lease.
func (d *Deliveries) Claim(ctx context.Context, instance string, limit int) ([]Claim, error) {
	s := d.Runner.Schema(Name)
	if s == "" {
		return nil, nil
	}
	rows, err := d.Pool.Query(ctx, fmt.Sprintf(`WITH due AS (
			SELECT q.id FROM platform_deliveries q JOIN %s.integrations i ON i.id = q.integration_id AND i.state = 'active'
			WHERE (q.state = 'pending' AND q.next_at <= now()) OR (q.state = 'delivering' AND q.claimed_until < now())
			ORDER BY q.next_at LIMIT $2 FOR UPDATE OF q SKIP LOCKED)
		UPDATE platform_deliveries q SET state = 'delivering', attempts = q.attempts + 1, claimed_by = $1,
			claimed_until = now() + make_interval(secs => $3), updated_at = now()
		FROM due WHERE q.id = due.id RETURNING q.id, q.integration_id, q.attempts, q.event`, s), instance, limit, Lease.Seconds())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Claim, error) {
		var c Claim
		var body []byte
		if err := r.Scan(&c.ID, &c.IntegrationID, &c.Attempt, &body); err != nil {
			return c, err
		}
		var err error
		c.Event, err = decodeEvent(body)
		return c, err
	})
}

// Outcome is the result of one attempt.
type Outcome struct {
	Claim  Claim
	Status int
	Err    string
	// Delivered: the endpoint answered 2xx in time.
	Delivered bool
	// RetryIn is the wait before the next attempt; Dead: none is left.
	RetryIn time.Duration
	Dead    bool
}

// Complete records the outcomes of attempts, each only if its claim still
// holds (same instance, same attempt). It returns the outcomes that were
// recorded.
func (d *Deliveries) Complete(ctx context.Context, instance string, os []Outcome) ([]Outcome, error) {
	b := &pgx.Batch{}
	for _, o := range os {
		var status *int
		if o.Status != 0 {
			status = &o.Status
		}
		switch {
		case o.Delivered:
			b.Queue(`UPDATE platform_deliveries SET state = 'delivered', last_status = $4, last_error = NULL, delivered_at = now(), delivered_by = $2, claimed_by = NULL,
				claimed_until = NULL, updated_at = now() WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'delivering'`,
				o.Claim.ID, instance, o.Claim.Attempt, status)
		case o.Dead:
			b.Queue(`UPDATE platform_deliveries SET state = 'dead', last_status = $4, last_error = $5, claimed_by = NULL, claimed_until = NULL,
				updated_at = now() WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'delivering'`,
				o.Claim.ID, instance, o.Claim.Attempt, status, o.Err)
		default:
			b.Queue(`UPDATE platform_deliveries SET state = 'pending', last_status = $4, last_error = $5, next_at = now() + make_interval(secs => $6),
				claimed_by = NULL, claimed_until = NULL, updated_at = now() WHERE id = $1 AND claimed_by = $2 AND attempts = $3 AND state = 'delivering'`,
				o.Claim.ID, instance, o.Claim.Attempt, status, o.Err, o.RetryIn.Seconds())
		}
	}
	if b.Len() == 0 {
		return nil, nil
	}
	res := d.Pool.SendBatch(ctx, b)
	defer res.Close()
	var out []Outcome
	for _, o := range os {
		tag, err := res.Exec()
		if err != nil {
			return out, err
		}
		if tag.RowsAffected() == 1 {
			out = append(out, o)
		}
	}
	return out, nil
}

// SucceededSince reports whether the integration had a delivery succeed
// after t (an endpoint that answers some deliveries is not disabled).
func (d *Deliveries) SucceededSince(ctx context.Context, integrationID string, t time.Time) (bool, error) {
	var ok bool
	err := d.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM platform_deliveries WHERE integration_id = $1 AND state = 'delivered' AND delivered_at > $2)`,
		integrationID, t).Scan(&ok)
	return ok, err
}

// Delivery is one delivery as listed.
type Delivery struct {
	ID        int64     `json:"id"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	State     string    `json:"state" enum:"pending,delivering,delivered,dead"`
	Attempts  int       `json:"attempts"`
	NextAt    time.Time `json:"next_at"`
	// LastStatus is the last answer's HTTP status (null: no answer).
	LastStatus  *int       `json:"last_status"`
	LastError   *string    `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
}

// List pages an integration's deliveries, newest first (state "dead": the dead-letter list).
func (d *Deliveries) List(ctx context.Context, tenant, integrationID, state string, p projections.PageRequest) (projections.Page[Delivery], error) {
	tx, err := d.Pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return projections.Page[Delivery]{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	l := projections.NewList("platform_deliveries", `id, event_id::text, event_type, state, attempts, next_at, last_status, last_error, created_at, delivered_at`).
		Where("tenant_id = ?", tenant).Where("integration_id = ?", integrationID).WhereIf(state != "", "state = ?", state).
		OrderBy(true, projections.IntKey("id"))
	return projections.Fetch(ctx, tx, l, p, func(r pgx.CollectableRow) (Delivery, error) {
		var x Delivery
		err := r.Scan(&x.ID, &x.EventID, &x.EventType, &x.State, &x.Attempts, &x.NextAt, &x.LastStatus, &x.LastError, &x.CreatedAt, &x.DeliveredAt)
		return x, err
	}, func(x Delivery) []any { return []any{x.ID} })
}
