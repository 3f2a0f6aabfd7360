package auth

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// RevocationChannel must match commands/iam.RevocationChannel.
const RevocationChannel = "astra_revocations"

// Revocations is this instance's set of revoked sessions and API keys. It is
// loaded from the ledger at start and kept current by Postgres notifications,
// so a revocation on any instance takes effect on every instance at once.
type Revocations struct {
	mu      sync.RWMutex
	revoked map[string]bool // "session:<id>", "apikey:<key id>", "apikeysecret:<secret id>"
	// OnRevoked, when set, is told of each new revocation (caches drop entries).
	OnRevoked func(kind, id string)
	// OnNotice, when set, sees every notification first and reports whether
	// it handled it (principals' access changes travel on the same channel).
	OnNotice func(kind, id string) bool
	// OnResync, when set, is called when the listener reconnected: whatever
	// was notified while it was away has been missed.
	OnResync func()
}

// LoadRevocations reads every revocation recorded in the ledger.
func LoadRevocations(ctx context.Context, pool *pgxpool.Pool) (*Revocations, error) {
	r := &Revocations{revoked: map[string]bool{}}
	rows, err := pool.Query(ctx, `SELECT type, convert_from(data, 'UTF8')::jsonb FROM events
		WHERE type IN ('com.astra.iam.SessionRevoked', 'com.astra.iam.ApiKeyRevoked', 'com.astra.iam.ApiKeyRotated')`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		var data map[string]any
		if err := rows.Scan(&typ, &data); err != nil {
			return nil, err
		}
		switch typ {
		case "com.astra.iam.SessionRevoked":
			if id, _ := data["session_id"].(string); id != "" {
				r.revoked["session:"+id] = true
			}
		case "com.astra.iam.ApiKeyRevoked":
			if id, _ := data["key_id"].(string); id != "" {
				r.revoked["apikey:"+id] = true
			}
		case "com.astra.iam.ApiKeyRotated":
			// A rotated key's previous secret is revoked by its secret id.
			if id, _ := data["revoked_secret_id"].(string); id != "" {
				r.revoked["apikeysecret:"+id] = true
			}
		}
	}
	return r, rows.Err()
}

// Revoke marks kind:id revoked here (also called on notifications).
func (r *Revocations) Revoke(kind, id string) {
	r.mu.Lock()
	r.revoked[kind+":"+id] = true
	r.mu.Unlock()
	if r.OnRevoked != nil {
		r.OnRevoked(kind, id)
	}
}

// Revoked reports whether kind:id is revoked.
func (r *Revocations) Revoked(kind, id string) bool {
	if r == nil || id == "" {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.revoked[kind+":"+id]
}

// Listen applies revocation notifications until ctx ends.
func (r *Revocations) Listen(ctx context.Context, pool *pgxpool.Pool) {
	first := true
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		if _, err := conn.Exec(ctx, "LISTEN "+RevocationChannel); err == nil {
			if !first {
				r.resync(ctx, pool)
			}
			first = false
			for {
				n, err := conn.WaitForNotification(ctx)
				if err != nil {
					break
				}
				if kind, id, ok := strings.Cut(n.Payload, ":"); ok {
					if r.OnNotice != nil && r.OnNotice(kind, id) {
						continue
					}
					r.Revoke(kind, id)
				}
			}
		}
		conn.Close(context.Background())
	}
}

// resync catches up with what was notified while the listener was away: the
// revocations recorded meanwhile, and (OnResync) every cached access.
func (r *Revocations) resync(ctx context.Context, pool *pgxpool.Pool) {
	if fresh, err := LoadRevocations(ctx, pool); err == nil {
		fresh.mu.RLock()
		var missed []string
		for k := range fresh.revoked {
			if kind, id, _ := strings.Cut(k, ":"); !r.Revoked(kind, id) {
				missed = append(missed, k)
			}
		}
		fresh.mu.RUnlock()
		for _, k := range missed {
			kind, id, _ := strings.Cut(k, ":")
			r.Revoke(kind, id)
		}
	}
	if r.OnResync != nil {
		r.OnResync()
	}
}
