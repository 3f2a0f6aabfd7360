package gateway

import "github.com/astrabastion/astra/domain/trust"

// The gateway's trust signals: every request (AI governance, security when a
// detector stopped it, resilience when no provider answered), kill switches,
// policy upkeep and budgets.
func init() {
	trust.Declare(RequestCompleted, func(d *RequestRecordedV1) (trust.Signal, bool) {
		if len(d.Violations) == 0 {
			return trust.Signal{Pillar: trust.AIGovernance, Score: 100, Reason: "request within policy"}, true
		}
		return trust.Signal{Pillar: trust.AIGovernance, Score: 40, Reason: "request allowed with policy violations (monitor)"}, true
	})
	trust.Declare(RequestBlocked, func(d *RequestRecordedV1) (trust.Signal, bool) {
		switch d.BlockedBy {
		case "injection_detection":
			return trust.Signal{Pillar: trust.Security, Score: 55, Reason: "prompt injection attempt blocked", Weight: 2}, true
		case "pii_detection", "response_scan":
			return trust.Signal{Pillar: trust.Security, Score: 65, Reason: "personal data withheld"}, true
		case "kill_switch":
			return trust.Signal{Pillar: trust.Security, Score: 40, Reason: "traffic stopped by a kill switch"}, true
		case "provider_call":
			// Records from before RequestFailed recorded a provider failure
			// as a block; they keep the signal they were scored with.
			return trust.Signal{Pillar: trust.Resilience, Score: 45, Reason: "provider failure"}, true
		}
		return trust.Signal{Pillar: trust.AIGovernance, Score: 75, Reason: "request refused by policy"}, true
	})
	// A provider failure is the resilience pillar's, not security's; a request
	// the provider refused as malformed says nothing about its health.
	trust.Declare(RequestFailed, func(d *RequestRecordedV1) (trust.Signal, bool) {
		if d.Failure != nil && d.Failure.Fault == FaultCaller {
			return trust.Signal{}, false
		}
		return trust.Signal{Pillar: trust.Resilience, Score: 45, Reason: "provider failure"}, true
	})
	trust.Declare(KillSwitchActivated, func(*KillSwitchV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Security, Score: 30, Reason: "kill switch activated", Weight: 5}, true
	})
	trust.Declare(KillSwitchDeactivated, func(*KillSwitchV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.Security, Score: 80, Reason: "kill switch lifted", Weight: 2}, true
	})
	policy := func(*PolicyVersionedV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.AIGovernance, Score: 90, Reason: "gateway policy maintained", Weight: 3}, true
	}
	trust.Declare(PolicyCreated, policy)
	trust.Declare(PolicyUpdated, policy)
	trust.Declare(PolicyRolledBack, policy)
	trust.Declare(BudgetExceeded, func(*BudgetExceededV1) (trust.Signal, bool) {
		return trust.Signal{Pillar: trust.AIGovernance, Score: 50, Reason: "budget exceeded", Weight: 2}, true
	})
}
