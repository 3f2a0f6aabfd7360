// Package platformmod is the Platform module's outbound edge: the webhook
// outbox (every event a tenant's integrations subscribe to is queued for
// each, and delivered as a CloudEvent, signed per Standard Webhooks, on the
// retry schedule) and the notification channels (e-mail, webhook, Slack).
// Its reactors consume the log like every reactor; what sets it apart is
// that it speaks HTTP to the outside world, through a netguard client.
package platformmod

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	cmd "github.com/astrabastion/astra/commands/platformmod"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/platformmod"
	"github.com/astrabastion/astra/eventstore"
	rm "github.com/astrabastion/astra/projections/platformmod"
	"github.com/astrabastion/astra/reactors"
)

// Outbox queues events for the integrations that subscribe to them and
// delivers them.
type Outbox struct {
	Queue    *rm.Deliveries
	Queries  *rm.Queries
	Commands *cmd.Handlers
	Keys     *eventstore.Keyring
	// Client sends; it must refuse forbidden addresses (netguard), not
	// follow redirects, and give up after 15 s.
	Client *http.Client
	// Instance names this process in claims.
	Instance string
	Log      *slog.Logger
	// Scale multiplies the retry schedule (1 in production; tests shrink it).
	Scale float64
	// Jitter is the ± fraction of each retry delay drawn at random (default 0.1).
	Jitter float64
	// Workers bound the attempts in flight (default 32 per claim loop); Batch the claims
	// taken at once (default 256).
	Workers, Batch int
	// Poll is how often an idle outbox looks for due deliveries (default 100 ms).
	Poll time.Duration

	kick   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	byTent map[string]targets
}

// targets are a tenant's active integrations as read at a time.
type targets struct {
	read time.Time
	list []rm.Target
}

func (o *Outbox) init() {
	o.once.Do(func() {
		o.kick = make(chan struct{}, 1)
		o.byTent = map[string]targets{}
		if o.Scale <= 0 {
			o.Scale = 1
		}
		if o.Jitter == 0 {
			o.Jitter = 0.1
		}
		if o.Workers <= 0 {
			o.Workers = 32
		}
		if o.Batch <= 0 {
			o.Batch = 256
		}
		if o.Poll <= 0 {
			o.Poll = 100 * time.Millisecond
		}
	})
}

// Kick wakes the delivery loop (something was queued).
func (o *Outbox) Kick() {
	o.init()
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// tenantTargets are the tenant's active integrations as they stood after
// the event was committed: a list read before the event's time is read
// again, so that an integration configured (and answered) before an event
// always gets it.
func (o *Outbox) tenantTargets(ctx context.Context, e *eventstore.Event) ([]rm.Target, error) {
	o.mu.Lock()
	t, ok := o.byTent[e.TenantID]
	o.mu.Unlock()
	if ok && t.read.After(e.Time) {
		return t.list, nil
	}
	read := time.Now()
	list, err := o.Queries.Targets(ctx, e.TenantID, nil)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	o.byTent[e.TenantID] = targets{read: read, list: list}
	o.mu.Unlock()
	return list, nil
}

// Reactor queues every event of every module for the integrations of its
// tenant whose filters match it (the test event for its integration only).
func (o *Outbox) Reactor() reactors.Reactor {
	o.init()
	return reactors.Reactor{Name: "platform_webhook_outbox", Module: platformmod.Module, Scope: reactors.Shared, Types: events.All(),
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			var ids []string
			if e.Type == platformmod.IntegrationTested.CEType() {
				var d platformmod.IntegrationTestedV1
				if err := e.Decode(&d); err != nil {
					return err
				}
				ids = []string{d.IntegrationID}
			} else {
				list, err := o.tenantTargets(ctx, e)
				if err != nil {
					return err
				}
				for _, t := range list {
					if e.Position > t.Since && platformmod.Matches(t.EventTypes, e.Type) {
						ids = append(ids, t.ID)
					}
				}
			}
			if len(ids) == 0 {
				return nil
			}
			if err := o.Queue.Enqueue(ctx, e, ids); err != nil {
				return err
			}
			o.Kick()
			return nil
		}}
}

// Run delivers due deliveries until ctx ends, with two claim loops so that
// one batch's slowest endpoint does not hold back the next batch.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	var wg sync.WaitGroup
	for k := 0; k < 2; k++ {
		wg.Add(1)
		go func() { defer wg.Done(); o.loop(ctx) }()
	}
	wg.Wait()
	return ctx.Err()
}

func (o *Outbox) loop(ctx context.Context) {
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	for {
		n, err := o.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			o.Log.Warn("platform webhooks: delivery round failed", "err", err)
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-o.kick:
		case <-t.C:
		}
	}
}

// RunOnce claims one batch of due deliveries, attempts them concurrently
// and records the outcomes; it answers how many it claimed.
func (o *Outbox) RunOnce(ctx context.Context) (int, error) {
	o.init()
	claims, err := o.Queue.Claim(ctx, o.Instance, o.Batch)
	if err != nil || len(claims) == 0 {
		return 0, err
	}
	ids := make([]string, 0, len(claims))
	seen := map[string]bool{}
	for _, c := range claims {
		if !seen[c.IntegrationID] {
			seen[c.IntegrationID] = true
			ids = append(ids, c.IntegrationID)
		}
	}
	ts, err := o.Queries.Targets(ctx, "*", ids)
	if err != nil {
		return 0, err
	}
	byID := map[string]*signer{}
	for i := range ts {
		sec, err := o.secrets(ctx, &ts[i])
		byID[ts[i].ID] = &signer{Target: &ts[i], secrets: sec, err: err}
	}
	outcomes := make([]rm.Outcome, len(claims))
	sem := make(chan struct{}, o.Workers)
	var wg sync.WaitGroup
	for i := range claims {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			outcomes[i] = o.attempt(ctx, claims[i], byID[claims[i].IntegrationID])
		}(i)
	}
	wg.Wait()
	done, err := o.Queue.Complete(ctx, o.Instance, outcomes)
	if err != nil {
		return len(claims), err
	}
	for _, oc := range done {
		if oc.Dead {
			if err := o.deadLettered(ctx, oc); err != nil {
				o.Log.Warn("platform webhooks: disabling an integration failed", "integration", oc.Claim.IntegrationID, "err", err)
			}
		}
	}
	return len(claims), nil
}

// deadLettered disables the integration when the endpoint failed the whole
// schedule of a delivery without answering any other delivery since it was
// queued.
func (o *Outbox) deadLettered(ctx context.Context, oc rm.Outcome) error {
	ok, err := o.Queue.SucceededSince(ctx, oc.Claim.IntegrationID, oc.Claim.Event.Time)
	if err != nil || ok {
		return err
	}
	meta := eventstore.Metadata{TenantID: oc.Claim.Event.TenantID, Actor: "system:platform-webhooks", CausationID: oc.Claim.Event.ID.String()}
	_, err = o.Commands.DisableIntegration(ctx, meta, oc.Claim.IntegrationID,
		fmt.Sprintf("every attempt of the retry schedule failed (last: %s)", oc.Err), oc.Claim.Event.ID.String())
	if errors.Is(err, platformmod.ErrIntegrationNotFound) {
		return nil
	}
	return err
}

// signer is an integration with its signing secrets opened (once a batch).
type signer struct {
	*rm.Target
	secrets []string
	err     error
}

// attempt sends one delivery and says what comes next.
func (o *Outbox) attempt(ctx context.Context, c rm.Claim, t *signer) rm.Outcome {
	out := rm.Outcome{Claim: c}
	status, err := o.send(ctx, c, t)
	out.Status = status
	if err == nil && platformmod.Delivered(status) {
		out.Delivered = true
		return out
	}
	if err != nil {
		out.Err = err.Error()
	} else {
		out.Err = "HTTP " + strconv.Itoa(status)
	}
	if d, ok := platformmod.NextDelay(c.Attempt, o.Scale, o.Jitter, rand.Float64()); ok {
		out.RetryIn = d
	} else {
		out.Dead = true
	}
	return out
}

// send renders the event with the CloudEvents HTTP binding (binary mode, or
// structured), signs the body and posts it.
func (o *Outbox) send(ctx context.Context, c rm.Claim, t *signer) (int, error) {
	if t == nil || t.State == platformmod.StateDeleted {
		return 0, errors.New("integration deleted")
	}
	if t.err != nil {
		return 0, t.err
	}
	secrets := t.secrets
	ce := c.Event.CloudEvent(o.Keys.OpenJSON(ctx, c.Event.Data))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, nil)
	if err != nil {
		return 0, err
	}
	wctx := binding.WithForceBinary(ctx)
	if t.Mode == platformmod.ModeStructured {
		wctx = binding.WithForceStructured(ctx)
	}
	if err := cehttp.WriteRequest(wctx, binding.ToMessage(&ce), req); err != nil {
		return 0, fmt.Errorf("cloudevents: %w", err)
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return 0, err
	}
	req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	now := time.Now()
	id := c.Event.ID.String()
	sig, err := platformmod.SignatureHeader(secrets, id, now, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	req.Header.Set("User-Agent", "ASTRA-BASTION-Webhooks/1")
	res, err := o.Client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	_ = res.Body.Close()
	return res.StatusCode, nil
}

// secrets opens the integration's signing secrets: the current one, and a
// rotated-out one still in its grace period.
func (o *Outbox) secrets(ctx context.Context, t *rm.Target) ([]string, error) {
	cur, err := o.Keys.Open(ctx, t.Secret)
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	out := []string{cur}
	if t.PreviousSecret != nil && *t.PreviousSecret != "" && t.PreviousUntil != nil && time.Now().Before(*t.PreviousUntil) {
		if prev, err := o.Keys.Open(ctx, *t.PreviousSecret); err == nil {
			out = append(out, prev)
		}
	}
	return out, nil
}
