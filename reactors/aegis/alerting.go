package aegis

import (
	"context"
	"sync"
	"time"

	cmdaegis "github.com/astrabastion/astra/commands/aegis"
	"github.com/astrabastion/astra/domain/aegis"
	"github.com/astrabastion/astra/domain/aegis/alerting"
	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
	"github.com/astrabastion/astra/reactors"
)

// RuleSource reads a tenant's enabled alert rules.
type RuleSource interface {
	EnabledRules(ctx context.Context, tenant string) ([]alerting.Ref, error)
}

// Alerting raises alerts from every module's alertable events: the
// built-in detectors and each tenant's rules, evaluated in the manner of
// Alertmanager (thresholds within windows per group, cooldowns, silences).
// Windows live in memory on the instance that consumes the event's
// partition: a restart, or events of one group spread over partitions
// consumed by several instances, starts or splits a window (at least
// once-a-firing, never a firing made up).
type Alerting struct {
	Commands *cmdaegis.Handlers
	Rules    RuleSource
	// Now is the clock of windows and silences; time.Now when nil.
	Now func() time.Time

	mu    sync.Mutex
	ev    *alerting.Evaluator
	rules projections.PerTenant[[]alerting.Ref] // tenant's own rules, loaded on first use
}

func (a *Alerting) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// alertableTypes are the registered types rules may watch.
func alertableTypes() []events.Type {
	var out []events.Type
	for _, ce := range aegis.AlertableTypes() {
		if t, ok := events.Lookup(ce); ok {
			out = append(out, t)
		}
	}
	return out
}

// Reactor is the shared reactor that evaluates the rules on each alertable event.
func (a *Alerting) Reactor() reactors.Reactor {
	return reactors.Reactor{Name: "aegis_alerting", Module: "aegis", Scope: reactors.Shared, Types: alertableTypes(),
		Handle: func(ctx context.Context, e *eventstore.Event) error {
			if e.TenantID == "" {
				return nil
			}
			f := alerting.Fact{ID: e.ID.String(), Type: e.Type, Subject: e.Subject, TenantID: e.TenantID, Time: e.Time}
			if err := e.Decode(&f.Data); err != nil {
				return err
			}
			rules, err := a.tenantRules(ctx, e.TenantID)
			if err != nil {
				return err
			}
			a.mu.Lock()
			if a.ev == nil {
				a.ev = alerting.NewEvaluator()
			}
			firings := a.ev.Observe(append(aegis.BuiltinRules(), rules...), &f, a.now())
			a.mu.Unlock()
			for _, fr := range firings {
				if _, err := a.Commands.RaiseAlert(ctx, metaOf(e), cmdaegis.RaiseAlert{Firing: fr}); err != nil {
					return err
				}
			}
			return nil
		}}
}

func (a *Alerting) tenantRules(ctx context.Context, tenant string) ([]alerting.Ref, error) {
	return a.rules.Get(tenant, func() ([]alerting.Ref, error) { return a.Rules.EnabledRules(ctx, tenant) })
}

// Invalidation drops a tenant's rules on every instance when one changes,
// so that the next event is judged by the rules as they are. Another
// instance may read the read model before it applied the change; the rule
// then takes effect from the next change or restart at the latest, so the
// rules are dropped again once the read model applied it (await).
func (a *Alerting) Invalidation(await func(ctx context.Context, e *eventstore.Event) error) reactors.Reactor {
	return reactors.Reactor{Name: "aegis_alert_rules", Module: "aegis", Scope: reactors.EveryInstance,
		Types: []events.Type{aegis.AlertRuleCreated, aegis.AlertRuleUpdated, aegis.AlertRuleDeleted},
		Handle: func(_ context.Context, e *eventstore.Event) error {
			drop := func() { a.rules.Drop(e.TenantID) }
			drop()
			if await != nil {
				ev := *e
				go func() { // never on the appender's goroutine (reactors.IsLocal)
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					_ = await(ctx, &ev)
					drop()
				}()
			}
			return nil
		}}
}

// McpInvalidation drops an instance's view of a tenant's MCP firewall
// (servers, pins, rules) on every change, on every instance, and again once
// the read model applied it.
func McpInvalidation(drop func(tenant string), await func(ctx context.Context, e *eventstore.Event) error) reactors.Reactor {
	return reactors.Reactor{Name: "aegis_mcp_firewall", Module: "aegis", Scope: reactors.EveryInstance,
		Types: []events.Type{aegis.McpServerRegistered, aegis.McpServerUpdated, aegis.McpServerApprovalChanged, aegis.McpServerRemoved,
			aegis.McpToolsPinned, aegis.McpRuleCreated, aegis.McpRuleUpdated, aegis.McpRuleDeleted},
		Handle: func(_ context.Context, e *eventstore.Event) error {
			drop(e.TenantID)
			if await != nil {
				ev := *e
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					defer cancel()
					_ = await(ctx, &ev)
					drop(ev.TenantID)
				}()
			}
			return nil
		}}
}
