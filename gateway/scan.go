package gateway

import (
	"context"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
)

// ScanFinding is one PII span a scan found, by message index.
type ScanFinding struct {
	PIIEntity
	Message int
}

// ScanResult is the input-side verdict of a scan.
type ScanResult struct {
	Security  Security
	Blocked   *Blocked
	Threshold float64
	PII       []ScanFinding
	Redacted  []string
}

// Scan runs the input side of the pipeline (kill switch through content
// rules) without calling a provider, and records gateway.PromptScanned.
func (rt *Runtime) Scan(ctx context.Context, call *Call) (*ScanResult, error) {
	original := make([]string, len(call.Req.Messages))
	for i, m := range call.Req.Messages {
		original[i] = m.Content
	}
	r := rt.newRun(call)
	b := r.run(ctx, flowInput)
	r.settle(ctx, 0, 0) // a scan calls no provider: it holds nothing against budgets
	out := &ScanResult{Security: r.sec, Blocked: b, Threshold: r.policy.policy.Injection.Threshold}
	if b != nil && b.Code == "GW-006" {
		return out, nil // no such policy: the caller answers 404, and nothing was scanned
	}
	for i, text := range original {
		for _, e := range filterPII(rt.PII.Find(text, piiScope(r.policy.policy.PII)), r.policy.policy.PII) {
			out.PII = append(out.PII, ScanFinding{PIIEntity: e, Message: i})
		}
		if r.sec.Redacted {
			out.Redacted = append(out.Redacted, call.Req.Messages[i].Content)
		}
	}
	_, err := rt.Store.Append(ctx, eventstore.Metadata{TenantID: call.TenantID, Actor: call.Subject, CorrelationID: call.Correlation},
		eventstore.StreamAppend{StreamID: "gateway.scan-" + call.RequestID, Expected: eventstore.NoStream,
			Events: []eventstore.Draft{{Type: gw.PromptScanned, Subject: call.RequestID, Data: &gw.PromptScannedV1{ScanID: call.RequestID,
				TenantID: call.TenantID, PolicyID: r.policy.id, PolicyVersion: r.policy.version, Injection: r.sec.InjectionScore,
				Blocked: b != nil, Patterns: r.sec.Patterns, PIITypes: r.sec.PIITypes}}}})
	return out, err
}
