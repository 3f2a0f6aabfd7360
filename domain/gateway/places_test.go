package gateway_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/domain/gateway/injection"
	"github.com/astrabastion/astra/testkit/shareddata"
)

// jsonl decodes the rows of a JSON-lines file of the shared data.
func jsonl[T any](t *testing.T, rel string) []T {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(shareddata.Read(t, rel)))
	sc.Buffer(nil, 1<<24)
	var out []T
	for sc.Scan() {
		var x T
		if err := json.Unmarshal(sc.Bytes(), &x); err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		out = append(out, x)
	}
	return out
}

// TestDocumentThreshold: benign documents sent as tool results are not
// blocked more often than the same documents sent as user messages. The
// detector reads tool results as documents (instructions addressed to the
// assistant count there), so at the same threshold they would be; the
// tool-result default (DocumentThreshold) brings the rate back. The benign
// documents are every clean AgentDojo tool output and BIPIA e-mail of
// ../shared/data; the injected AgentDojo tool outputs show what the higher
// threshold costs in recall.
func TestDocumentThreshold(t *testing.T) {
	var benign, injected []string
	for _, r := range jsonl[struct {
		Label int    `json:"label"`
		Text  string `json:"text"`
	}](t, "prompt_injection/agentdojo_tool_outputs.jsonl") {
		if r.Label == 0 {
			benign = append(benign, r.Text)
		} else {
			injected = append(injected, r.Text)
		}
	}
	for _, r := range jsonl[struct {
		Context string `json:"context"`
	}](t, "prompt_injection/bipia_email_test_contexts.jsonl") {
		benign = append(benign, r.Context)
	}
	if len(benign) < 150 || len(injected) < 300 {
		t.Fatalf("shared data: %d benign, %d injected documents", len(benign), len(injected))
	}
	d := injection.New()
	rate := func(texts []string, doc bool, th float64) float64 {
		n := 0
		for _, s := range texts {
			r := d.Scan(s)
			if doc {
				r = d.ScanDocument(s)
			}
			if r.Score >= th {
				n++
			}
		}
		return float64(n) / float64(len(texts))
	}
	rule := gw.DefaultPolicy(injection.DefaultThreshold).Injection
	_, userTh := rule.Place(gw.PlaceMessages)
	_, toolTh := rule.Place(gw.PlaceToolResults)
	asUser := rate(benign, false, userTh)
	asToolSame := rate(benign, true, userTh)
	asTool := rate(benign, true, toolTh)
	t.Logf("%d benign documents: false positives as user message %.1f%% (threshold %.2f); as tool result %.1f%% at the same threshold, %.1f%% at the tool-result default %.2f",
		len(benign), 100*asUser, userTh, 100*asToolSame, 100*asTool, toolTh)
	t.Logf("%d injected tool outputs: recall as tool result %.1f%% at %.2f, %.1f%% at %.2f",
		len(injected), 100*rate(injected, true, userTh), userTh, 100*rate(injected, true, toolTh), toolTh)
	if asTool > asUser {
		t.Errorf("benign documents as tool results are blocked more often (%.1f%%) than as user messages (%.1f%%)", 100*asTool, 100*asUser)
	}
}

func TestPlaces_DefaultsAndValidation(t *testing.T) {
	p := gw.DefaultPolicy(0.65)
	for place, want := range map[string]struct {
		action string
		th     float64
	}{gw.PlaceMessages: {"block", 0.65}, gw.PlaceToolCalls: {"block", 0.65}, gw.PlaceNames: {"block", 0.65},
		gw.PlaceToolResults: {"block", gw.DocumentThreshold}, gw.PlaceTools: {"block", gw.DocumentThreshold}, gw.PlaceSystem: {"off", gw.DocumentThreshold}} {
		if a, th := p.Injection.Place(place); a != want.action || th != want.th {
			t.Errorf("%s: %s at %.2f, want %s at %.2f", place, a, th, want.action, want.th)
		}
	}
	p.Injection.Action = gw.ActionMonitor
	p.Injection.Places.System.Action = gw.ActionBlock
	th := 0.7
	p.Injection.Places.ToolResults.Threshold = &th
	if a, x := p.Injection.Place(gw.PlaceSystem); a != "block" || x != gw.DocumentThreshold {
		t.Errorf("system scanned: %s %.2f", a, x)
	}
	if a, x := p.Injection.Place(gw.PlaceToolResults); a != "monitor" || x != 0.7 {
		t.Errorf("tool results: %s %.2f", a, x)
	}
	p.Injection.Enabled = false
	if a, _ := p.Injection.Place(gw.PlaceSystem); a != gw.ActionOff {
		t.Errorf("a disabled detector scans %s", a)
	}

	big := 1.5
	for _, c := range []struct {
		places gw.ScanPlaces
		field  string
	}{
		{gw.ScanPlaces{Names: gw.PlaceRule{Action: "redact"}}, "injection.places.names.action"},
		{gw.ScanPlaces{ToolCalls: gw.PlaceRule{Action: "shred"}}, "injection.places.tool_calls.action"},
		{gw.ScanPlaces{System: gw.PlaceRule{Action: "alert"}}, "injection.places.system.action"},
		{gw.ScanPlaces{Tools: gw.PlaceRule{Threshold: &big}}, "injection.places.tools.threshold"},
	} {
		p := gw.Policy{Name: "x", Injection: gw.DetectorRule{Places: c.places}}
		err := p.Normalize()
		var ie *gw.InvalidPolicyError
		if !errors.As(err, &ie) || ie.Field != c.field || !errors.Is(err, gw.ErrPolicyInvalid) {
			t.Errorf("%+v: %v, want a problem with %s", c.places, err, c.field)
		}
	}
	ok := gw.Policy{Name: "x", Injection: gw.DetectorRule{Places: gw.ScanPlaces{System: gw.PlaceRule{Action: "redact"}, ToolResults: gw.PlaceRule{Action: "off"}}}}
	if err := ok.Normalize(); err != nil {
		t.Error(err)
	}
}
