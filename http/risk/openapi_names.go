package risk

// The OpenAPI component names of types whose Go names other packages use too
// (platform.Named).

// OpenAPIName names the body of a FAIR simulation.
func (SimulateRequest) OpenAPIName() string { return "RiskSimulateRequest" }
