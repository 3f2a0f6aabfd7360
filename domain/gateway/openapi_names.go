package gateway

// The OpenAPI component names of types whose Go names other packages use too
// (platform.Named).

// OpenAPIName names a request's token counts.
func (Usage) OpenAPIName() string { return "TokenUsage" }
