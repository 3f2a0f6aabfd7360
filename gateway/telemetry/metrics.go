package telemetry

import (
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	gw "github.com/astrabastion/astra/domain/gateway"
)

// The GenAI client metrics in their Prometheus form (the OpenTelemetry names
// with dots as underscores and the unit as suffix), with the buckets the
// semantic conventions recommend.
var (
	tokenUsage = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gen_ai_client_token_usage",
		Help:    "Tokens used by provider calls (gen_ai.client.token.usage), by operation, provider, models and token type (input, output).",
		Buckets: []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864},
	}, []string{"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model", "gen_ai_token_type"})

	operationDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gen_ai_client_operation_duration_seconds",
		Help:    "Duration of provider calls (gen_ai.client.operation.duration), by operation, provider, models and error type (empty: success).",
		Buckets: []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92},
	}, []string{"gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "gen_ai_response_model", "error_type"})

	blocks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "astra", Subsystem: "gateway", Name: "blocks_total",
		Help: "Requests the gateway refused, by the step that refused them and the error code (provider failures and outages of the gateway's own dependencies are not blocks).",
	}, []string{"step", "code"})

	providerErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "astra", Subsystem: "gateway", Name: "provider_errors_total",
		Help: "Provider calls that failed (after retries and fallbacks), by provider and cause (timeout, connection, circuit_open, rate_limited, http_5xx, http_4xx, other).",
	}, []string{"provider", "cause"})

	providerLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "astra", Subsystem: "gateway", Name: "provider_latency_seconds",
		Help:    "Time spent calling providers per request (retries and fallbacks included; a stream until its end), by provider and outcome (ok, error).",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 15),
	}, []string{"provider", "outcome"})

	cacheLookups = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "astra", Subsystem: "gateway", Name: "cache_lookups_total",
		Help: "Response cache lookups, by result (hit, miss).",
	}, []string{"result"})

	cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "astra", Subsystem: "gateway", Name: "cost_usd_total",
		Help: "Estimated cost of answered requests in USD (list prices), by provider and model.",
	}, []string{"provider", "model"})
)

// Collectors are the gateway's metrics, for the /metrics registry.
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{tokenUsage, operationDuration, blocks, providerErrors, providerLatency, cacheLookups, cost}
}

// Observe records a finished request in the metrics.
func Observe(r *Request) {
	var provider *gw.StepTrace
	for i := range r.Steps {
		s := &r.Steps[i]
		switch s.Step {
		case gw.StepCache:
			if s.Verdict == "hit" || s.Verdict == "miss" {
				cacheLookups.WithLabelValues(s.Verdict).Inc()
			}
		case gw.StepProvider:
			provider = s
		}
	}
	if r.BlockedBy != "" && !isFailure(r.ErrorCode) {
		blocks.WithLabelValues(r.BlockedBy, r.ErrorCode).Inc()
	}
	if provider == nil || (provider.Verdict != "pass" && provider.Verdict != "error") || r.ErrorCode == "GW-010" {
		// The provider was not called (blocked before, cache hit, model not
		// offered, no such provider: the names are the caller's, unchecked,
		// and would make unbounded labels).
		return
	}
	op, prov := OperationName(r.Endpoint), ProviderName(r.ProviderKind)
	secs := float64(provider.DurationUs) / 1e6
	if provider.Verdict == "error" {
		cause := ProviderCause(provider.Detail)
		providerErrors.WithLabelValues(r.Provider, cause).Inc()
		providerLatency.WithLabelValues(r.Provider, "error").Observe(secs)
		operationDuration.WithLabelValues(op, prov, r.Model, "", cause).Observe(secs)
		return
	}
	providerLatency.WithLabelValues(r.Provider, "ok").Observe(secs)
	operationDuration.WithLabelValues(op, prov, r.Model, r.ResponseModel, "").Observe(secs)
	tokenUsage.WithLabelValues(op, prov, r.Model, r.ResponseModel, "input").Observe(float64(r.InputTokens))
	if op != "embeddings" {
		tokenUsage.WithLabelValues(op, prov, r.Model, r.ResponseModel, "output").Observe(float64(r.OutputTokens))
	}
	if r.CostUSD > 0 {
		cost.WithLabelValues(r.Provider, r.Model).Add(r.CostUSD)
	}
}

// isFailure tells a failure (the provider's, or an outage of the gateway's
// own dependencies) from a block.
func isFailure(code string) bool { return code == "GW-009" || code == "SYS-002" }

// ProviderCause classifies a failed provider call from the provider step's
// detail ("<provider> answered <status> (<message>)" or "<provider>:
// <message>"): timeout, connection, circuit_open, rate_limited, http_5xx,
// http_4xx or other.
func ProviderCause(detail string) string {
	switch {
	case strings.Contains(detail, "circuit open"):
		return "circuit_open"
	case strings.HasSuffix(detail, ": timeout"):
		return "timeout"
	case strings.HasSuffix(detail, ": connection failed"):
		return "connection"
	}
	if _, after, ok := strings.Cut(detail, " answered "); ok && len(after) >= 3 {
		if status, err := strconv.Atoi(after[:3]); err == nil {
			switch {
			case status == 429:
				return "rate_limited"
			case status == 408 || status == 504:
				return "timeout"
			case status >= 500:
				return "http_5xx"
			case status >= 400:
				return "http_4xx"
			}
		}
	}
	return "other"
}
