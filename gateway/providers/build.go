package providers

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Config describes a provider connection.
type Config struct {
	Name, Kind, BaseURL, APIKey string
	Headers                     map[string]string
	APIVersion, Deployment      string
	MockLatency                 time.Duration
}

// DefaultBaseURL is the public endpoint of a kind, used when none is configured.
func DefaultBaseURL(kind string) string {
	switch kind {
	case KindOpenAI:
		return "https://api.openai.com/v1"
	case KindAnthropic:
		return "https://api.anthropic.com"
	case KindOllama:
		return "http://127.0.0.1:11434/v1"
	}
	return ""
}

// Build makes the adapter of a kind. client carries the outbound guard.
func Build(c Config, client *http.Client) (Provider, error) {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL(c.Kind)
	}
	switch c.Kind {
	case KindMock:
		return &Mock{Name: c.Name, Latency: c.MockLatency}, nil
	case KindOpenAI, KindAzureOpenAI, KindOllama, KindOpenAICompatible:
		if base == "" {
			return nil, fmt.Errorf("providers: %s needs a base URL", c.Kind)
		}
		return &OpenAI{Name: c.Name, Kind: c.Kind, BaseURL: strings.TrimRight(base, "/"), APIKey: c.APIKey, APIVersion: c.APIVersion,
			Deployment: c.Deployment, Headers: c.Headers, Client: client}, nil
	case KindAnthropic:
		return &Anthropic{Name: c.Name, BaseURL: strings.TrimRight(base, "/"), APIKey: c.APIKey, Client: client}, nil
	}
	return nil, fmt.Errorf("providers: unknown kind %q", c.Kind)
}
