package gateway

import (
	"context"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/telemetry"
)

// observe hands a finished request to telemetry: the metrics always, the
// trace when tracing is on (Runtime.Tracing). It reads only the request's
// record and step trace, whatever the pipeline's shape.
func (r *run) observe(ctx context.Context, rec *gw.RequestRecordedV1) {
	kind := ""
	if r.prov != nil {
		kind = r.prov.kind
	} else if r.provName != "" {
		r.rt.mu.RLock()
		if p, ok := r.rt.providers[r.call.TenantID+"/"+r.provName]; ok {
			kind = p.kind
		}
		r.rt.mu.RUnlock()
	}
	req := telemetry.Request{RequestID: rec.RequestID, TenantID: rec.TenantID, Endpoint: rec.Endpoint, PolicyID: rec.PolicyID,
		Provider: rec.Provider, ProviderKind: kind, Model: rec.Model, InputTokens: rec.Usage.PromptTokens,
		OutputTokens: rec.Usage.CompletionTokens, CostUSD: knownCost(rec.CostUSD), CacheHit: rec.CacheHit, Stream: rec.Stream,
		Status: rec.Status, BlockedBy: rec.BlockedBy, ErrorCode: rec.ErrorCode, Steps: rec.Steps, Started: r.call.Started}
	if r.resp != nil {
		req.ResponseModel = printable(r.resp.Model)
	}
	telemetry.Observe(&req)
	r.rt.Tracing.End(ctx, &req)
}

// knownCost is a recorded cost for telemetry: an unknown one (no price) adds nothing.
func knownCost(c *float64) float64 {
	if c == nil {
		return 0
	}
	return *c
}
