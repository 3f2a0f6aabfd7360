package gateway

// The OpenAPI component names of types whose Go names other packages use too
// (platform.Named).

// OpenAPIName names the body of a policy simulation.
func (SimulateRequest) OpenAPIName() string { return "PolicySimulateRequest" }

// OpenAPIName names the body of registering a provider.
func (ProviderRequest) OpenAPIName() string { return "RegisterProviderRequest" }
