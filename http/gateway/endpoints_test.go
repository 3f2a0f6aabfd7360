package gateway_test

import (
	"testing"
)

// TestGateway_Endpoints exercises every Gateway endpoint of API.md through
// real HTTP on one instance (loopback provider URLs allowed), each area in its
// own tenant so that kill switches, budgets and caches do not meet.
func TestGateway_Endpoints(t *testing.T) {
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	t.Run("providers", func(t *testing.T) { testProviders(t, in, admin) })
	t.Run("policies", func(t *testing.T) { testPolicies(t, in, admin) })
	t.Run("pipeline rules", func(t *testing.T) { testPipelineRules(t, in, admin) })
	t.Run("pii selection", func(t *testing.T) { testPIISelection(t, in, admin) })
	t.Run("kill switch", func(t *testing.T) { testKillSwitch(t, in, admin) })
	t.Run("cache", func(t *testing.T) { testCache(t, in, admin) })
	t.Run("budgets and usage", func(t *testing.T) { testBudgets(t, in, admin) })
	t.Run("detectors", func(t *testing.T) { testDetectors(t, in, admin) })
	t.Run("request log", func(t *testing.T) { testRequestLog(t, in, admin) })
	t.Run("traffic", func(t *testing.T) { testTraffic(t, in, admin) })
	t.Run("resilience", func(t *testing.T) { testResilience(t, in, admin) })
	t.Run("backtest", func(t *testing.T) { testBacktest(t, in, admin) })
}
