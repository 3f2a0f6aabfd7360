package gateway_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// TestGateway_KillSwitchReachesEveryInstanceWithinOneSecond runs two
// instances on one database and one broker: a switch activated on one stops
// the traffic of the other within a second, and so does its deactivation.
func TestGateway_KillSwitchReachesEveryInstanceWithinOneSecond(t *testing.T) {
	a := testkit.Start(t, nil)
	cfg := testkit.Config(t)
	cfg.DatabaseURL = a.Cfg.DatabaseURL
	cfg.KafkaBrokers = []string{a.BrokerAddr()}
	b := testkit.Start(t, &cfg)

	adminA := a.AdminToken(t)
	adminB := b.AdminToken(t)
	_, tenantA := a.NewTenant(t, adminA, "Fleet")
	tenantB := b.Login(t, "admin@fleet.test", "tenant-admin-password")
	chatB := func(content string) *testkit.Response {
		return chatWith(t, b, tenantB, "mock", "mock-small", content, nil)
	}
	chatA := func(content string) *testkit.Response {
		return chatWith(t, a, tenantA, "mock", "mock-small", content, nil)
	}
	// Both instances have served the tenant (their state caches are warm).
	wantStatus(t, chatA("warm up A"), http.StatusOK)
	wantStatus(t, chatB("warm up B"), http.StatusOK)

	// propagation measures from the start of the call that changes the switch
	// until the other instance answers as wanted, polling every 10 ms.
	propagation := func(t *testing.T, change func(), ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		change()
		for time.Since(start) < 5*time.Second {
			if ok() {
				return time.Since(start)
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("never propagated")
		return 0
	}

	t.Run("activated on A, B refuses within one second", func(t *testing.T) {
		d := propagation(t, func() {
			r := a.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", tenantA, map[string]any{"scope": map[string]string{"kind": "tenant"}, "reason": "fleet-wide stop"})
			wantStatus(t, r, http.StatusCreated)
		}, func() bool { return isKilled(t, chatB("are you stopped?")) })
		t.Logf("activation on A reached B in %s", d.Round(time.Millisecond))
		if d > time.Second {
			t.Fatalf("B refused only after %s", d)
		}
		var state struct {
			Active []switchOut `json:"active"`
		}
		b.Do(t, http.MethodGet, "/api/v1/gateway/kill-switch", tenantB, nil).Data(t, &state)
		if len(state.Active) != 1 {
			t.Fatalf("B's view %+v", state.Active)
		}
	})

	t.Run("deactivated on B, A resumes within one second", func(t *testing.T) {
		d := propagation(t, func() {
			r := b.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", tenantB, map[string]any{"scope": map[string]string{"kind": "tenant"}, "reason": "resolved"})
			wantStatus(t, r, http.StatusOK)
		}, func() bool { return chatA("resumed?").Status == http.StatusOK })
		t.Logf("deactivation on B reached A in %s", d.Round(time.Millisecond))
		if d > time.Second {
			t.Fatalf("A resumed only after %s", d)
		}
	})

	t.Run("a global switch on B stops A within one second", func(t *testing.T) {
		d := propagation(t, func() {
			r := b.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", adminB, map[string]any{"scope": map[string]string{"kind": "global"}, "reason": "all stop"})
			wantStatus(t, r, http.StatusCreated)
		}, func() bool {
			return isKilled(t, chatA("global?")) && isKilled(t, chatWith(t, a, adminA, "mock", "mock-small", "global?", nil))
		})
		t.Logf("global activation on B reached A in %s", d.Round(time.Millisecond))
		if d > time.Second {
			t.Fatalf("A refused only after %s", d)
		}
		wantStatus(t, b.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/deactivate", adminB, map[string]any{"scope": map[string]string{"kind": "global"}, "reason": "clear"}),
			http.StatusOK)
		testkit.Eventually(t, time.Second, "A resumes", func() bool { return chatA("clear?").Status == http.StatusOK })
	})
}
