package eventstore

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Break is one place where the ledger is not what it should be.
type Break struct {
	StreamID string `json:"stream_id"`
	Version  int64  `json:"version"`
	Position int64  `json:"position"`
	Problem  string `json:"problem"`
}

// VerifyReport is the outcome of a verification.
type VerifyReport struct {
	OK             bool  `json:"ok"`
	EventsChecked  int64 `json:"events_checked"`
	StreamsChecked int64 `json:"streams_checked"`
	Head           int64 `json:"head_position"`
	// RecordsChecked counts the broker records compared with the ledger
	// (VerifyTopics; zero when the topics were not checked).
	RecordsChecked int64   `json:"records_checked,omitempty"`
	Breaks         []Break `json:"breaks"`
	Truncated      bool    `json:"truncated"`
}

const maxBreaks = 1000

// Verify recomputes the hash chain of every stream (when tenantID is set, of
// every stream that tenant has events in) and checks version continuity, stream
// heads and, for the whole ledger, that positions run from 1 to the head with no gap.
func Verify(ctx context.Context, pool *pgxpool.Pool, tenantID string) (*VerifyReport, error) {
	rep := &VerifyReport{Breaks: []Break{}}
	add := func(b Break) {
		if len(rep.Breaks) < maxBreaks {
			rep.Breaks = append(rep.Breaks, b)
		} else {
			rep.Truncated = true
		}
	}
	if err := pool.QueryRow(ctx, `SELECT position FROM ledger_head WHERE id = 1`).Scan(&rep.Head); err != nil {
		return nil, fmt.Errorf("verify: head: %w", err)
	}
	where := ``
	args := []any{}
	if tenantID != "" {
		// Every stream the tenant has a part in, checked whole: a stream may hold
		// events of several tenants (an e-mail claim released by one tenant and
		// taken by another), and its chain runs through all of them.
		where = `WHERE stream_id IN (SELECT stream_id FROM events WHERE tenant_id = $1
			UNION SELECT stream_id FROM streams WHERE tenant_id = $1)`
		args = append(args, tenantID)
	}
	rows, err := pool.Query(ctx, `SELECT `+eventColumns+` FROM events `+where+` ORDER BY stream_id, version`, args...)
	if err != nil {
		return nil, fmt.Errorf("verify: read: %w", err)
	}
	defer rows.Close()
	heads := map[string]streamHead{}
	var cur string
	var prevHash []byte
	var prevVersion int64
	for rows.Next() {
		var e Event
		if err := rows.Scan(&e.Position, &e.ID, &e.StreamID, &e.Version, &e.TenantID, &e.Type, &e.Source, &e.Subject,
			&e.Actor, &e.Time, &e.CorrelationID, &e.CausationID, &e.SchemaVersion, &e.Data, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("verify: scan: %w", err)
		}
		rep.EventsChecked++
		if e.StreamID != cur {
			if cur != "" {
				heads[cur] = streamHead{version: prevVersion, hash: prevHash}
			}
			cur, prevHash, prevVersion = e.StreamID, []byte{}, 0
			rep.StreamsChecked++
		}
		if e.Version != prevVersion+1 {
			add(Break{e.StreamID, e.Version, e.Position, fmt.Sprintf("version %d follows %d", e.Version, prevVersion)})
		}
		if !bytes.Equal(e.PrevHash, prevHash) {
			add(Break{e.StreamID, e.Version, e.Position, "prev_hash does not match the previous event's hash"})
		}
		if want := chainHash(e.PrevHash, &e); !bytes.Equal(want, e.Hash) {
			add(Break{e.StreamID, e.Version, e.Position, "hash mismatch: the event was altered (recomputed " + hex.EncodeToString(want[:8]) + "…)"})
		}
		prevHash, prevVersion = e.Hash, e.Version
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("verify: read: %w", err)
	}
	if cur != "" {
		heads[cur] = streamHead{version: prevVersion, hash: prevHash}
	}
	srows, err := pool.Query(ctx, `SELECT stream_id, version, hash FROM streams `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("verify: streams: %w", err)
	}
	defer srows.Close()
	for srows.Next() {
		var id string
		var h streamHead
		if err := srows.Scan(&id, &h.version, &h.hash); err != nil {
			return nil, err
		}
		got, ok := heads[id]
		switch {
		case !ok:
			add(Break{id, h.version, 0, "stream head recorded but the stream has no events"})
		case got.version != h.version:
			add(Break{id, got.version, 0, fmt.Sprintf("stream head says version %d, ledger ends at %d", h.version, got.version)})
		case !bytes.Equal(got.hash, h.hash):
			add(Break{id, got.version, 0, "stream head hash differs from the last event's hash"})
		}
		delete(heads, id)
	}
	for id, h := range heads {
		add(Break{id, h.version, 0, "stream has events but no recorded head"})
	}
	if tenantID == "" {
		var n, maxPos int64
		if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(max(position), 0) FROM events`).Scan(&n, &maxPos); err != nil {
			return nil, err
		}
		if n != rep.Head || maxPos != rep.Head {
			add(Break{"", 0, maxPos, fmt.Sprintf("ledger positions are not gapless: %d events, max position %d, head %d", n, maxPos, rep.Head)})
		}
	}
	rep.OK = len(rep.Breaks) == 0
	return rep, nil
}
