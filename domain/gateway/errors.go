package gateway

import "errors"

// Errors of the gateway's administration. Each is a sentinel value that the
// module's descriptor maps once to an error code (app/module_gateway.go);
// handlers return them as they are.
var (
	// ErrSwitchNotFound reports no active kill switch with that id or scope.
	ErrSwitchNotFound = errors.New("gateway: no active kill switch matches")
	// ErrBudgetNotFound reports an unknown (or deleted) budget.
	ErrBudgetNotFound = errors.New("gateway: budget not found")
	// ErrProviderNameTaken reports a provider name another live provider of
	// the tenant holds.
	ErrProviderNameTaken = errors.New("gateway: a provider with this name already exists")
	// ErrDetectorNotFound reports a detector name outside the catalogue.
	ErrDetectorNotFound = errors.New("gateway: no detector with that name")
	// ErrRequestNotFound reports an unknown gateway request.
	ErrRequestNotFound = errors.New("gateway: request not found")
)
