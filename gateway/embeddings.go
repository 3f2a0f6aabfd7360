package gateway

import (
	"context"
	"sort"
	"time"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// EmbeddingsResult is the outcome of an embeddings call.
type EmbeddingsResult struct {
	Embeddings *providers.EmbeddingResponse
	Security   Security
	Blocked    *Blocked
}

// Embeddings runs the input side of the pipeline over the inputs (as user
// messages; PII redaction applies), calls the provider's embeddings endpoint
// and records the request.
func (rt *Runtime) Embeddings(ctx context.Context, call *Call, model string, input []string) (*EmbeddingsResult, error) {
	for _, s := range input {
		call.Req.Messages = append(call.Req.Messages, providers.Message{Role: "user", Content: s})
	}
	call.Req.Model = model
	r := rt.newRun(call)
	r.run(ctx, flowEmbed)
	if r.err != nil {
		return nil, r.err
	}
	return &EmbeddingsResult{Embeddings: r.vectors, Security: r.result.Security, Blocked: r.result.Blocked}, nil
}

// embedCall calls the provider's embeddings endpoint with the inputs (after
// PII redaction); it has no fallbacks.
func (r *run) embedCall(ctx context.Context) {
	call := r.call
	t := time.Now()
	prov, resolved, err := r.target(ctx, 0, gw.Target{Provider: call.Provider, Model: call.Req.Model})
	var out *providers.EmbeddingResponse
	if err == nil {
		texts := make([]string, len(call.Req.Messages))
		for i, m := range call.Req.Messages {
			texts[i] = m.Content
		}
		if err = r.inject(ctx, prov, resolved); err == nil {
			out, err = prov.p.Embed(ctx, resolved, texts)
		}
		r.tried(prov, resolved, err)
	}
	r.providerD = time.Since(t)
	if err != nil {
		r.providerFailed(t, err)
		return
	}
	r.step(gw.StepProvider, t, "pass", 0, call.Provider, "")
	r.usage = out.Usage
	r.vectors = out
}

// Model is a model a tenant can use, by provider.
type Model struct {
	ID       string
	Provider string
}

// ModelsFor lists the models of a tenant's providers and the built-in mock,
// kept per tenant until a provider changes (the OpenAI drop-in routes every
// unprefixed model by it: no read-model query per request).
func (rt *Runtime) ModelsFor(ctx context.Context, tenantID string) ([]Model, error) {
	rt.mu.RLock()
	cached, ok := rt.modelCache[tenantID]
	rt.mu.RUnlock()
	if ok {
		return cached, nil
	}
	ps, err := rt.Queries.Providers(ctx, tenantID)
	if err != nil {
		return nil, dependency("providers", err)
	}
	var out []Model
	for _, p := range ps {
		if !p.Settings.Enabled {
			continue
		}
		for _, m := range p.Models {
			out = append(out, Model{ID: m, Provider: p.Name})
		}
	}
	mock, _ := (&providers.Mock{}).Models(ctx)
	for _, m := range mock {
		out = append(out, Model{ID: m, Provider: providers.KindMock})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Provider+out[i].ID < out[j].Provider+out[j].ID })
	rt.mu.Lock()
	if rt.modelCache == nil {
		rt.modelCache = map[string][]Model{}
	}
	rt.modelCache[tenantID] = out
	rt.mu.Unlock()
	return out, nil
}
