// Package shadow is Shadow AI discovery: an AI-service catalogue (provider
// API hosts and AI agents' user agents from the shared facts, extended by us
// to the major consumer AI apps), parsers of DNS, proxy and egress logs
// (NDJSON, CSV, Squid, Zeek dns.log and http.log) that count and report a
// malformed line instead of failing, and the matching and grouping of what
// they show into findings by service and source. No I/O beyond the reader
// it is given; no clock.
package shadow

import (
	"strings"
)

// Categories of AI services.
const (
	CategoryProviderAPI = "provider_api"
	CategoryConsumerApp = "consumer_app"
	CategoryCoding      = "coding_assistant"
	CategoryAgent       = "ai_agent"
)

// Service is one AI service of the catalogue.
type Service struct {
	// Name is the service (provider or app name).
	Name string `json:"name"`
	// Host is the catalogue's host (a match is this host or a subdomain of it).
	Host     string `json:"host"`
	Category string `json:"category" enum:"provider_api,consumer_app,coding_assistant,ai_agent"`
	// Provider is the gateway provider kind that fronts it, when any (openai, anthropic …).
	Provider string `json:"provider,omitempty"`
}

// consumerApps extends the shared facts with the major consumer AI apps and
// coding assistants (our own list: host names are facts).
var consumerApps = []Service{
	{"ChatGPT", "chatgpt.com", CategoryConsumerApp, "openai"}, {"ChatGPT", "chat.openai.com", CategoryConsumerApp, "openai"},
	{"OpenAI", "openai.com", CategoryConsumerApp, "openai"}, {"OpenAI", "oaiusercontent.com", CategoryConsumerApp, "openai"},
	{"Claude", "claude.ai", CategoryConsumerApp, "anthropic"}, {"Anthropic", "anthropic.com", CategoryConsumerApp, "anthropic"},
	{"Gemini", "gemini.google.com", CategoryConsumerApp, "google"}, {"Bard", "bard.google.com", CategoryConsumerApp, "google"},
	{"Google AI Studio", "aistudio.google.com", CategoryConsumerApp, "google"}, {"NotebookLM", "notebooklm.google.com", CategoryConsumerApp, "google"},
	{"Microsoft Copilot", "copilot.microsoft.com", CategoryConsumerApp, "azure-openai"}, {"Bing Chat", "sydney.bing.com", CategoryConsumerApp, ""},
	{"Perplexity", "perplexity.ai", CategoryConsumerApp, "perplexity-ai"}, {"Poe", "poe.com", CategoryConsumerApp, ""},
	{"Character.AI", "character.ai", CategoryConsumerApp, ""}, {"You.com", "you.com", CategoryConsumerApp, ""},
	{"Pi", "pi.ai", CategoryConsumerApp, ""}, {"Hugging Face", "huggingface.co", CategoryConsumerApp, "huggingface"},
	{"HuggingChat", "hf.co", CategoryConsumerApp, "huggingface"}, {"DeepSeek", "chat.deepseek.com", CategoryConsumerApp, "deepseek"},
	{"DeepSeek", "deepseek.com", CategoryConsumerApp, "deepseek"}, {"Grok", "grok.com", CategoryConsumerApp, "x-ai"},
	{"xAI", "x.ai", CategoryConsumerApp, "x-ai"}, {"Meta AI", "meta.ai", CategoryConsumerApp, ""},
	{"Le Chat", "chat.mistral.ai", CategoryConsumerApp, "mistral-ai"}, {"Mistral AI", "mistral.ai", CategoryConsumerApp, "mistral-ai"},
	{"Jasper", "jasper.ai", CategoryConsumerApp, ""}, {"Writesonic", "writesonic.com", CategoryConsumerApp, ""},
	{"Copy.ai", "copy.ai", CategoryConsumerApp, ""}, {"Midjourney", "midjourney.com", CategoryConsumerApp, ""},
	{"Leonardo.Ai", "leonardo.ai", CategoryConsumerApp, ""}, {"Runway", "runwayml.com", CategoryConsumerApp, ""},
	{"ElevenLabs", "elevenlabs.io", CategoryConsumerApp, ""}, {"Otter.ai", "otter.ai", CategoryConsumerApp, ""},
	{"Fireflies.ai", "fireflies.ai", CategoryConsumerApp, ""}, {"Gamma", "gamma.app", CategoryConsumerApp, ""},
	{"Suno", "suno.com", CategoryConsumerApp, ""}, {"Ideogram", "ideogram.ai", CategoryConsumerApp, ""},
	{"Stability AI", "stability.ai", CategoryConsumerApp, "stability-ai"}, {"QuillBot", "quillbot.com", CategoryConsumerApp, ""},
	{"DeepL", "deepl.com", CategoryConsumerApp, ""}, {"Kimi", "kimi.moonshot.cn", CategoryConsumerApp, "moonshot"},
	{"Kimi", "kimi.com", CategoryConsumerApp, "moonshot"}, {"Qwen Chat", "chat.qwen.ai", CategoryConsumerApp, "dashscope"},
	{"Tongyi", "tongyi.aliyun.com", CategoryConsumerApp, "dashscope"}, {"Doubao", "doubao.com", CategoryConsumerApp, ""},
	{"ChatGLM", "chatglm.cn", CategoryConsumerApp, "zhipu"}, {"Cohere", "cohere.com", CategoryConsumerApp, "cohere"},
	{"Groq", "groq.com", CategoryConsumerApp, "groq"}, {"Replicate", "replicate.com", CategoryConsumerApp, "replicate"},
	{"Together AI", "together.ai", CategoryConsumerApp, "together-ai"}, {"OpenRouter", "openrouter.ai", CategoryConsumerApp, "openrouter"},
	{"Phind", "phind.com", CategoryCoding, ""}, {"Codeium", "codeium.com", CategoryCoding, ""}, {"Windsurf", "windsurf.com", CategoryCoding, ""},
	{"Cursor", "cursor.sh", CategoryCoding, ""}, {"Cursor", "cursor.com", CategoryCoding, ""}, {"Tabnine", "tabnine.com", CategoryCoding, ""},
	{"GitHub Copilot", "githubcopilot.com", CategoryCoding, ""}, {"GitHub Copilot", "copilot-proxy.githubusercontent.com", CategoryCoding, ""},
	{"Sourcegraph Cody", "sourcegraph.com", CategoryCoding, ""}, {"Replit AI", "replit.com", CategoryCoding, ""},
	{"Amazon Bedrock", "bedrock-runtime.amazonaws.com", CategoryProviderAPI, "bedrock"},
	{"Azure OpenAI", "openai.azure.com", CategoryProviderAPI, "azure-openai"},
}

// excludedHosts are hosts of the shared data left out of the catalogue:
// general cloud endpoints that carry far more than AI traffic.
var excludedHosts = map[string]string{
	"cloud.google.com":       "Google Cloud's site and console, not an AI service",
	"storage.googleapis.com": "Google Cloud Storage",
	"api.cloudflare.com":     "Cloudflare's whole API",
	"api.modal.com":          "a general compute platform",
}

// excludedAgents are user-agent names of the shared data too generic to
// match as a product token ("Code" is in every VS Code and Electron user agent).
var excludedAgents = map[string]string{
	"Code":   "VS Code and every Electron app send Code/<version>",
	"Spider": "a generic word of many crawlers' user agents",
}

// Catalogue matches hosts and user agents to AI services.
type Catalogue struct {
	hosts    map[string]Service // exact host → service (a host also matches its subdomains)
	prefixes []Service          // regional hosts: Host is a prefix ("runtime.sagemaker."), matched with the suffix of its cloud
	agents   map[string]Service // lower-case product token → agent
	phrases  []Service          // agents named with spaces, matched as phrases
	all      []Service
}

var regionalSuffix = map[string]string{"runtime.sagemaker.": ".amazonaws.com", "inference.generativeai.": ".oraclecloud.com",
	"bedrock-runtime.": ".amazonaws.com"}

// Default is the built-in catalogue.
var Default = func() *Catalogue {
	c := &Catalogue{hosts: map[string]Service{}, agents: map[string]Service{}}
	add := func(s Service) {
		if _, ok := c.hosts[s.Host]; !ok {
			c.hosts[s.Host] = s
			c.all = append(c.all, s)
		}
	}
	for _, ph := range providerHosts {
		if _, skip := excludedHosts[ph[1]]; !skip {
			add(Service{Name: ph[0], Host: ph[1], Category: CategoryProviderAPI, Provider: ph[0]})
		}
	}
	for _, s := range consumerApps {
		if s.Host == "bedrock-runtime.amazonaws.com" {
			c.prefixes = append(c.prefixes, Service{Name: s.Name, Host: "bedrock-runtime.", Category: s.Category, Provider: s.Provider})
			c.all = append(c.all, s)
			continue
		}
		add(s)
	}
	for _, ph := range providerHostPrefixes {
		s := Service{Name: ph[0], Host: ph[1], Category: CategoryProviderAPI, Provider: ph[0]}
		c.prefixes = append(c.prefixes, s)
		c.all = append(c.all, s)
	}
	for _, a := range agentUserAgents {
		if _, skip := excludedAgents[a]; skip {
			continue
		}
		name, _, _ := strings.Cut(a, "/")
		s := Service{Name: a, Host: "", Category: CategoryAgent}
		if strings.Contains(name, " ") {
			s.Host = strings.ToLower(name)
			c.phrases = append(c.phrases, s)
		} else {
			c.agents[strings.ToLower(name)] = s
		}
	}
	return c
}()

// Services lists the catalogue's host entries.
func (c *Catalogue) Services() []Service { return append([]Service(nil), c.all...) }

// Agents counts the user agents the catalogue matches.
func (c *Catalogue) Agents() int { return len(c.agents) + len(c.phrases) }

// Normalize lower-cases a host and strips a port, brackets and a trailing dot.
func Normalize(host string) string {
	h := strings.TrimSpace(host)
	if i := strings.Index(h, "://"); i >= 0 {
		h = h[i+3:]
	}
	if i := strings.IndexAny(h, "/?#"); i >= 0 {
		h = h[:i]
	}
	if i := strings.LastIndexByte(h, '@'); i >= 0 {
		h = h[i+1:]
	}
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return strings.ToLower(h[1:i])
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	for i := 0; i < len(h); i++ {
		if b := h[i]; b >= 'A' && b <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// MatchHost finds the AI service of a (normalized) host: the host itself or
// any parent domain on a label boundary is in the catalogue, so that
// look-alikes (openai.com.evil.net, notopenai.com) do not match.
func (c *Catalogue) MatchHost(host string) (Service, bool) {
	h := host
	for {
		if s, ok := c.hosts[h]; ok {
			return s, true
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	for _, p := range c.prefixes {
		if strings.HasPrefix(host, p.Host) && strings.HasSuffix(host, regionalSuffix[p.Host]) {
			s := p
			s.Host = host
			return s, true
		}
	}
	return Service{}, false
}

// MatchAgent finds the AI agent or crawler a user agent names, by product
// token (the name before "/", case-insensitive) or phrase.
func (c *Catalogue) MatchAgent(ua string) (Service, bool) {
	if ua == "" {
		return Service{}, false
	}
	start := -1
	for i := 0; i <= len(ua); i++ {
		sep := i == len(ua)
		if !sep {
			switch ua[i] {
			case ' ', ';', '(', ')', ',', '/', '+', '[', ']':
				sep = true
			}
		}
		if sep {
			if start >= 0 {
				if s, ok := c.agents[lower(ua[start:i])]; ok {
					return s, true
				}
				start = -1
			}
			if i < len(ua) && ua[i] == '/' { // skip the version
				for i+1 < len(ua) && ua[i+1] != ' ' && ua[i+1] != ';' && ua[i+1] != ')' {
					i++
				}
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if len(c.phrases) > 0 {
		l := strings.ToLower(ua)
		for _, p := range c.phrases {
			if strings.Contains(l, p.Host) {
				return p, true
			}
		}
	}
	return Service{}, false
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b >= 'A' && b <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}
