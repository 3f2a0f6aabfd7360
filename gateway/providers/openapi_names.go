package providers

// The OpenAPI component names of types whose Go names other packages use too
// (platform.Named).

// OpenAPIName names the OpenAI chat completion request, lossless.
func (ChatRequest) OpenAPIName() string { return "OpenAIChatRequest" }

// OpenAPIName names the OpenAI chat completion.
func (ChatResponse) OpenAPIName() string { return "OpenAIChatResponse" }

// OpenAPIName names token usage in the OpenAI shape.
func (Usage) OpenAPIName() string { return "OpenAIUsage" }

// OpenAPIName names a provider's health as the resilient client sees it.
func (Health) OpenAPIName() string { return "ProviderHealth" }
