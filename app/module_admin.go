package app

import (
	"context"
	"net/http"
	"time"

	"github.com/astrabastion/astra/http/admin"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections/ops"
)

// Administration: health, projections, the audit trail, the event ledger.
func init() {
	register(Module{
		Name: "admin",
		Tags: map[string]string{
			"admin": "Operations: health, version, projections and rebuilds, event-store statistics, the audit trail, its export and verification.",
		},
		Order: 90,
		Errors: platform.Codes{
			"ADM-001": platform.Entry(http.StatusNotFound, "Projection not found", "No read-model projection with that name exists."),
		},
		DomainErrors: []platform.DomainError{
			{Err: ops.ErrBrokerUnavailable, Code: "SYS-002", Detail: "The broker is unavailable."},
		},
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			st := rt.Stack
			q := &ops.Queries{Pool: st.Pool, Runner: st.Runner, Relay: rt.Relay, Keys: st.Keys, Brokers: st.Brokers}
			api := &admin.API{Ops: q, Runner: st.Runner, Version: Version, Started: time.Now(), Instance: rt.Cfg.HTTPAddr}
			return &Parts{Routes: api.Routes()}, nil
		},
	})
}
