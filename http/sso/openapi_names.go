package sso

// The OpenAPI component names of types whose Go names other packages use too
// (platform.Named).

// OpenAPIName names the body of adding an SSO provider.
func (CreateProviderRequest) OpenAPIName() string { return "CreateSSOProviderRequest" }

// OpenAPIName names the body of changing an SSO provider.
func (UpdateProviderRequest) OpenAPIName() string { return "UpdateSSOProviderRequest" }
