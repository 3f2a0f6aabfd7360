package gateway

// The OpenAPI component names of types whose Go names other packages use too
// (platform.Named).

// OpenAPIName names a tenant's usage per day.
func (Usage) OpenAPIName() string { return "UsageReport" }
