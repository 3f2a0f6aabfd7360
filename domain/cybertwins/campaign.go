package cybertwins

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Catalogue is the MITRE ATLAS catalogue the campaigns are simulated with:
// tactics, techniques (and sub-techniques) and the mitigations that address
// them. It is read at run time from ATLAS.yaml (Apache-2.0, MITRE), never
// carried in the repository.
type Catalogue struct {
	Version    string
	Tactics    map[string]string
	Techniques map[string]Technique
	// Mitigations maps a mitigation id to the techniques it addresses.
	Mitigations map[string][]string
}

// Technique is one ATLAS technique.
type Technique struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Tactics []string `json:"tactics"`
	// Parent is the technique a sub-technique belongs to.
	Parent string `json:"parent,omitempty"`
}

// ParseCatalogue reads ATLAS.yaml (the atlas-data distribution file).
func ParseCatalogue(doc []byte) (*Catalogue, error) {
	var raw struct {
		Version  string `yaml:"version"`
		Matrices []struct {
			Tactics []struct {
				ID   string `yaml:"id"`
				Name string `yaml:"name"`
			} `yaml:"tactics"`
			Techniques []struct {
				ID      string   `yaml:"id"`
				Name    string   `yaml:"name"`
				Tactics []string `yaml:"tactics"`
				Parent  string   `yaml:"subtechnique-of"`
			} `yaml:"techniques"`
			Mitigations []struct {
				ID         string `yaml:"id"`
				Techniques []struct {
					ID string `yaml:"id"`
				} `yaml:"techniques"`
			} `yaml:"mitigations"`
		} `yaml:"matrices"`
	}
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCatalogueUnavailable, err)
	}
	c := &Catalogue{Version: raw.Version, Tactics: map[string]string{}, Techniques: map[string]Technique{}, Mitigations: map[string][]string{}}
	for _, m := range raw.Matrices {
		for _, t := range m.Tactics {
			c.Tactics[t.ID] = t.Name
		}
		for _, t := range m.Techniques {
			c.Techniques[t.ID] = Technique{ID: t.ID, Name: t.Name, Tactics: t.Tactics, Parent: t.Parent}
		}
		for _, x := range m.Mitigations {
			for _, t := range x.Techniques {
				c.Mitigations[x.ID] = append(c.Mitigations[x.ID], t.ID)
			}
		}
	}
	if len(c.Techniques) == 0 {
		return nil, fmt.Errorf("%w: no technique in the document", ErrCatalogueUnavailable)
	}
	// A sub-technique inherits its parent's tactics when it lists none.
	for id, t := range c.Techniques {
		if len(t.Tactics) == 0 && t.Parent != "" {
			t.Tactics = c.Techniques[t.Parent].Tactics
			c.Techniques[id] = t
		}
	}
	return c, nil
}

// Effects of a defence on a technique.
const (
	Stops   = "stop"
	Detects = "detect"
)

// Kinds of defence a campaign is checked against.
const (
	KindGuardrail     = "guardrail"
	KindGatewayPolicy = "gateway_policy"
	KindMCPRule       = "mcp_rule"
	KindControl       = "compliance_control"
)

// Defence is one piece of the tenant's real configuration and the ATLAS
// techniques it stops or detects, with why.
type Defence struct {
	Kind       string   `json:"kind" enum:"guardrail,gateway_policy,mcp_rule,compliance_control"`
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Effect     string   `json:"effect" enum:"stop,detect"`
	Reason     string   `json:"reason"`
	Techniques []string `json:"-"`
}

// What each guardrail type can act on (AEGIS guardrails evaluate prompts
// and, for tool_allowlist, tool calls).
var guardrailTechniques = map[string][]string{
	"injection":      {"AML.T0051", "AML.T0051.000", "AML.T0051.001", "AML.T0054", "AML.T0056"},
	"pii":            {"AML.T0057", "AML.T0024", "AML.T0024.000"},
	"keyword":        {"AML.T0054", "AML.T0051.000"},
	"regex":          {"AML.T0054", "AML.T0051.000", "AML.T0057"},
	"topic":          {"AML.T0054"},
	"cel":            {"AML.T0051", "AML.T0054"},
	"length":         {"AML.T0029", "AML.T0034", "AML.T0054"},
	"tool_allowlist": {"AML.T0053", "AML.T0086"},
}

// GuardrailDefence is what an enabled AEGIS guardrail does against ATLAS
// techniques: block and redact stop, alert detects.
func GuardrailDefence(id, name, typ, action string) Defence {
	effect := Stops
	if action == "alert" {
		effect = Detects
	}
	return Defence{Kind: KindGuardrail, ID: id, Name: name, Effect: effect, Techniques: guardrailTechniques[typ],
		Reason: fmt.Sprintf("%s guardrail, action %s", typ, action)}
}

// PolicyFacts are the parts of a gateway policy a campaign step meets.
type PolicyFacts struct {
	ID, Name                      string
	InjectionEnabled              bool
	InjectionAction               string
	PIIEnabled                    bool
	PIIAction                     string
	ResponseScan                  bool
	ModelAllowList                bool
	MaxInputTokens, MaxOutputToks int
	ContentRules                  int
}

// PolicyDefences are what a gateway policy does against ATLAS techniques.
func PolicyDefences(p PolicyFacts) []Defence {
	var out []Defence
	add := func(effect, reason string, techniques ...string) {
		out = append(out, Defence{Kind: KindGatewayPolicy, ID: p.ID, Name: p.Name, Effect: effect, Reason: reason, Techniques: techniques})
	}
	if p.InjectionEnabled {
		effect := Stops
		if p.InjectionAction != "block" {
			effect = Detects
		}
		add(effect, "injection detector, action "+p.InjectionAction, "AML.T0051", "AML.T0051.000", "AML.T0051.001", "AML.T0054", "AML.T0056")
	}
	if p.PIIEnabled && p.PIIAction != "allow" {
		add(Stops, "PII "+p.PIIAction+" before the provider", "AML.T0057")
	}
	if p.ResponseScan {
		add(Detects, "completions scanned for PII and canaries", "AML.T0057", "AML.T0056", "AML.T0024")
	}
	if p.ModelAllowList {
		add(Stops, "models restricted to an allow-list", "AML.T0040")
	}
	if p.MaxInputTokens > 0 || p.MaxOutputToks > 0 {
		add(Stops, "token bounds per request", "AML.T0029", "AML.T0034")
	}
	if p.ContentRules > 0 {
		add(Stops, fmt.Sprintf("%d content rules", p.ContentRules), "AML.T0054", "AML.T0057")
	}
	return out
}

// MCPServerDefence is what an MCP server under the firewall does: an
// approved server with pinned tools detects tool changes (rug pulls,
// poisoned descriptions); a quarantined one stops its use.
func MCPServerDefence(id, name, state string) Defence {
	if state == "approved" {
		return Defence{Kind: KindMCPRule, ID: id, Name: name, Effect: Detects, Reason: "approved server, tools pinned and scanned",
			Techniques: []string{"AML.T0053", "AML.T0010", "AML.T0051.001"}}
	}
	return Defence{Kind: KindMCPRule, ID: id, Name: name, Effect: Stops, Reason: "server " + state + ": calls refused",
		Techniques: []string{"AML.T0053", "AML.T0010"}}
}

var atlasRef = regexp.MustCompile(`AML\.[TM]\d{4}(?:\.\d{3})?`)

// ControlDefence is what a compliance control does: an implemented control
// whose text cites ATLAS techniques or mitigations detects those techniques
// (a mitigation's techniques through the catalogue); a control partly
// implemented, planned or not implemented does nothing yet.
func ControlDefence(c *Catalogue, id, name, text, status string) (Defence, bool) {
	if status != "implemented" {
		return Defence{}, false
	}
	var techniques []string
	for _, ref := range atlasRef.FindAllString(name+" "+text, -1) {
		if strings.HasPrefix(ref, "AML.M") {
			techniques = append(techniques, c.Mitigations[ref]...)
		} else {
			techniques = append(techniques, ref)
		}
	}
	if len(techniques) == 0 {
		return Defence{}, false
	}
	slices.Sort(techniques)
	return Defence{Kind: KindControl, ID: id, Name: name, Effect: Detects, Reason: "implemented control citing ATLAS", Techniques: slices.Compact(techniques)}, true
}

// Outcomes of a campaign step.
const (
	Stopped    = "stopped"
	Detected   = "detected"
	Undetected = "undetected"
)

// Step is one technique of a campaign and what meets it.
type Step struct {
	Index       int       `json:"index"`
	TechniqueID string    `json:"technique_id"`
	Name        string    `json:"name"`
	Tactics     []string  `json:"tactics"`
	Outcome     string    `json:"outcome" enum:"stopped,detected,undetected"`
	Defences    []Defence `json:"defences"`
}

// CampaignResult is a campaign simulated against the twin's defences.
type CampaignResult struct {
	CatalogueVersion string `json:"catalogue_version"`
	Steps            []Step `json:"steps"`
	// StoppedAt is the first step a defence stops (null: none).
	StoppedAt *int `json:"stopped_at"`
	// GetsThrough is true when no step is stopped: the campaign completes.
	GetsThrough bool `json:"gets_through"`
	// Coverage is the share of steps that something stops or detects.
	Coverage float64 `json:"coverage"`
	// Defences is how many defences the tenant's configuration holds.
	Defences int `json:"defences"`
}

// MaxSteps bounds a campaign.
const MaxSteps = 50

// SimulateCampaign meets each technique of the campaign with the defences
// that act on it (a defence on a parent technique acts on its
// sub-techniques too). An unknown technique id is refused.
func SimulateCampaign(c *Catalogue, techniques []string, defences []Defence) (CampaignResult, error) {
	if len(techniques) == 0 || len(techniques) > MaxSteps {
		return CampaignResult{}, fmt.Errorf("%w: a campaign has 1 to %d techniques", ErrInvalidCampaign, MaxSteps)
	}
	res := CampaignResult{CatalogueVersion: c.Version, Steps: make([]Step, 0, len(techniques)), Defences: len(defences)}
	covered := 0
	for i, id := range techniques {
		t, ok := c.Techniques[id]
		if !ok {
			return CampaignResult{}, fmt.Errorf("%w: step %d: %q is not an ATLAS technique id of catalogue %s", ErrInvalidCampaign, i+1, id, c.Version)
		}
		s := Step{Index: i, TechniqueID: id, Name: t.Name, Tactics: t.Tactics, Outcome: Undetected, Defences: []Defence{}}
		for _, d := range defences {
			if slices.Contains(d.Techniques, id) || (t.Parent != "" && slices.Contains(d.Techniques, t.Parent)) {
				s.Defences = append(s.Defences, d)
				switch {
				case d.Effect == Stops:
					s.Outcome = Stopped
				case s.Outcome == Undetected:
					s.Outcome = Detected
				}
			}
		}
		if s.Outcome != Undetected {
			covered++
		}
		if s.Outcome == Stopped && res.StoppedAt == nil {
			at := i
			res.StoppedAt = &at
		}
		res.Steps = append(res.Steps, s)
	}
	res.GetsThrough = res.StoppedAt == nil
	res.Coverage = float64(covered) / float64(len(techniques))
	return res, nil
}
