package app

import (
	"context"
	"net/http"
	"time"

	cmdbai "github.com/astrabastion/astra/commands/bastionai"
	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/gateway"
	httpbai "github.com/astrabastion/astra/http/bastionai"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	rmaegis "github.com/astrabastion/astra/projections/aegis"
	rmbai "github.com/astrabastion/astra/projections/bastionai"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	"github.com/astrabastion/astra/projections/ops"
	rmrisk "github.com/astrabastion/astra/projections/risk"
	rmtrust "github.com/astrabastion/astra/projections/trust"
	"github.com/astrabastion/astra/reactors"
	rxbai "github.com/astrabastion/astra/reactors/bastionai"
)

// BastionAINow is BASTION AI's clock ("as of" checks, briefing periods);
// tests set it before starting an instance.
var BastionAINow = time.Now

// BASTION AI: the assistant over the tenant's own posture, its LLM calls
// through the gateway pipeline, retrieval over tenant documents and the
// built-in framework requirements.
func init() {
	register(Module{
		Name:  bastionai.Module,
		Title: "BASTION AI",
		Tags: map[string]string{
			"bastion-ai": "BASTION AI: an assistant over the tenant's own posture (trust, risks, alerts, compliance, gateway, audit trail) whose LLM calls go through the gateway pipeline, whose tools run with the caller's permissions and whose answers cite the ledger; retrieval over tenant documents and the framework requirements.",
		},
		// After the gateway (its runtime) and the modules whose read models
		// the tools read; before Data Governance, which collects holders.
		Order: 65,
		Errors: platform.Codes{
			"BAI-001": platform.Entry(http.StatusNotFound, "Conversation not found", "No conversation with that id belongs to the caller in the tenant."),
			"BAI-002": platform.Entry(http.StatusNotFound, "Document not found", "No indexed document with that id exists in the tenant."),
			"BAI-003": platform.Entry(http.StatusUnprocessableEntity, "Invalid document", "A document needs a title and text; its overlap must be smaller than its chunk size."),
			"BAI-004": platform.Entry(http.StatusUnprocessableEntity, "Provider or model not offered", "The tenant's gateway offers no such model of that provider (GET /bastion-ai/providers lists them)."),
			"BAI-005": platform.Entry(http.StatusBadGateway, "No answer", "The model did not end with an answer within the assistant's tool-call rounds."),
			"BAI-006": platform.Entry(http.StatusNotFound, "No posture snapshot", "No snapshot was taken yet: POST /bastion-ai/context/refresh."),
			"BAI-007": platform.Entry(http.StatusUnprocessableEntity, "Invalid as_of", "as_of is in the future: the log has no state there yet."),
		},
		DomainErrors: []platform.DomainError{
			{Err: bastionai.ErrConversationNotFound, Code: "BAI-001", Detail: "No such conversation of yours in this tenant."},
			{Err: bastionai.ErrDocumentNotFound, Code: "BAI-002", Detail: "No such document in this tenant."},
			{Err: bastionai.ErrInvalidDocument, Code: "BAI-003"},
			{Err: bastionai.ErrProviderUnknown, Code: "BAI-004"},
			{Err: bastionai.ErrNoAnswer, Code: "BAI-005", Detail: "The model kept calling tools and gave no answer."},
			{Err: bastionai.ErrContextNotFound, Code: "BAI-006", Detail: "No posture snapshot yet."},
			{Err: bastionai.ErrInvalidAsOf, Code: "BAI-007", Detail: "as_of is in the future."},
		},
		Projections: func(b *Base) []projections.Projection { return []projections.Projection{rmbai.New(b.Keys)} },
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			st := rt.Stack
			queries := &rmbai.Queries{Runner: st.Runner, Keys: st.Keys}
			commands := &cmdbai.Handlers{Store: st.Store, Keys: st.Keys}
			posture := &httpbai.Posture{Trust: &rmtrust.Queries{Runner: st.Runner}, Risk: &rmrisk.Queries{Runner: st.Runner},
				Aegis: &rmaegis.Queries{Runner: st.Runner}, Compliance: &rmcmp.Queries{Runner: st.Runner}, Gateway: &rmgw.Queries{Runner: st.Runner},
				Ledger: &ops.Queries{Pool: st.Pool, Runner: st.Runner, Keys: st.Keys}, Index: queries}
			api := &httpbai.API{Commands: commands, Queries: queries, Writes: rt.Writes, Now: BastionAINow,
				Assistant: &httpbai.Assistant{Gateway: rt.Service("gateway").(*gateway.Runtime), Posture: posture}}
			return &Parts{Routes: api.Routes(), Holder: queries, Reactors: []reactors.Reactor{rxbai.Erasure(commands, queries),
				rxbai.Retention(commands, queries)}}, nil
		},
	})
}
