package providers

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/sony/gobreaker/v2"
)

// Resilient wraps a provider with a per-attempt timeout, retries with
// exponential backoff and jitter for retryable failures, and a circuit breaker
// (gobreaker) that opens after consecutive failures and lets one trial through
// after a cooldown. Client errors (4xx other than 429) do not trip it.
type Resilient struct {
	Name       string
	P          Provider
	Timeout    time.Duration
	MaxRetries int
	breaker    *gobreaker.TwoStepCircuitBreaker[struct{}]

	requests  atomic.Int64
	failures  atomic.Int64
	latencyNs atomic.Int64 // exponentially weighted moving average
}

// Health is a provider's observed state.
type Health struct {
	State         string  `json:"circuit_state"`
	Requests      int64   `json:"requests"`
	Failures      int64   `json:"failures"`
	ErrorRate     float64 `json:"error_rate"`
	LatencyMsEWMA float64 `json:"latency_ms_ewma"`
}

// NewResilient wraps p. failures consecutive failures open the breaker for cooldown.
func NewResilient(name string, p Provider, timeout time.Duration, retries, failures int, cooldown time.Duration) *Resilient {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if failures <= 0 {
		failures = 5
	}
	if cooldown <= 0 {
		cooldown = 30 * time.Second
	}
	return &Resilient{Name: name, P: p, Timeout: timeout, MaxRetries: retries,
		breaker: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{Name: name, MaxRequests: 1, Timeout: cooldown,
			ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= uint32(failures) }})}
}

// Health reports the breaker state and observed error rate and latency.
func (r *Resilient) Health() Health {
	req, fail := r.requests.Load(), r.failures.Load()
	h := Health{State: r.breaker.State().String(), Requests: req, Failures: fail, LatencyMsEWMA: float64(r.latencyNs.Load()) / 1e6}
	if req > 0 {
		h.ErrorRate = float64(fail) / float64(req)
	}
	return h
}

// breakerError reports whether err counts against the provider's health.
func breakerError(err error) error {
	var pe *Error
	if errors.As(err, &pe) && !pe.Retryable && pe.Status >= 400 && pe.Status < 500 {
		return nil // the request was wrong, not the provider
	}
	var ue *UnsupportedError
	if errors.As(err, &ue) {
		return nil // refused before the call: says nothing of the provider
	}
	if errors.Is(err, context.Canceled) {
		return nil // the client went away
	}
	return err
}

func (r *Resilient) observe(start time.Time, err error) {
	r.requests.Add(1)
	if err != nil {
		r.failures.Add(1)
	}
	d := time.Since(start).Nanoseconds()
	for {
		old := r.latencyNs.Load()
		next := d
		if old != 0 {
			next = old + (d-old)/8
		}
		if r.latencyNs.CompareAndSwap(old, next) {
			return
		}
	}
}

// attempts notes on a provider's error how many calls it took.
func attempts(err error, n int) error {
	var pe *Error
	if errors.As(err, &pe) {
		pe.Attempts = n
	}
	return err
}

func retryable(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Retryable
}

func (r *Resilient) backoff(ctx context.Context, attempt int) error {
	d := time.Duration(100*(1<<attempt)) * time.Millisecond
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt runs fn once under the breaker and the per-attempt timeout.
func (r *Resilient) attempt(ctx context.Context, fn func(ctx context.Context) error) error {
	done, err := r.breaker.Allow()
	if err != nil {
		return &Error{Provider: r.Name, Status: 503, Message: "circuit open", Retryable: false, Err: ErrCircuitOpen}
	}
	actx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	start := time.Now()
	err = fn(actx)
	if err != nil && actx.Err() != nil && ctx.Err() == nil {
		err = &Error{Provider: r.Name, Message: "timeout", Retryable: true, Err: context.DeadlineExceeded}
	}
	done(breakerError(err))
	r.observe(start, breakerError(err))
	return err
}

// Chat implements Provider.
func (r *Resilient) Chat(ctx context.Context, req ChatRequest) (*ChatResponse, error) {
	var out *ChatResponse
	var err error
	for i := 0; ; i++ {
		err = r.attempt(ctx, func(ctx context.Context) error {
			var e error
			out, e = r.P.Chat(ctx, req)
			return e
		})
		if err == nil || !retryable(err) || i >= r.MaxRetries || r.backoff(ctx, i) != nil {
			return out, attempts(err, i+1)
		}
	}
}

// ChatStream implements Provider; a stream is retried only if it failed before
// its first chunk (a client must never see a chunk twice).
func (r *Resilient) ChatStream(ctx context.Context, req ChatRequest, emit func(Chunk) error) error {
	for i := 0; ; i++ {
		started := false
		err := r.attempt(ctx, func(ctx context.Context) error {
			return r.P.ChatStream(ctx, req, func(c Chunk) error { started = true; return emit(c) })
		})
		if err == nil || started || !retryable(err) || i >= r.MaxRetries || r.backoff(ctx, i) != nil {
			return attempts(err, i+1)
		}
	}
}

// Embed implements Provider.
func (r *Resilient) Embed(ctx context.Context, model string, input []string) (*EmbeddingResponse, error) {
	var out *EmbeddingResponse
	var err error
	for i := 0; ; i++ {
		err = r.attempt(ctx, func(ctx context.Context) error {
			var e error
			out, e = r.P.Embed(ctx, model, input)
			return e
		})
		if err == nil || !retryable(err) || i >= r.MaxRetries || r.backoff(ctx, i) != nil {
			return out, attempts(err, i+1)
		}
	}
}

// Models implements Provider.
func (r *Resilient) Models(ctx context.Context) ([]string, error) {
	var out []string
	err := r.attempt(ctx, func(ctx context.Context) error {
		var e error
		out, e = r.P.Models(ctx)
		return e
	})
	return out, err
}
