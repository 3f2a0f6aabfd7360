package injection_test

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/astrabastion/astra/domain/gateway/injection"
	"github.com/astrabastion/astra/domain/gateway/injection/internal/dataset"
)

// transform rewrites a text; scan scores the rewritten input (some
// transforms are conversations, not texts).
type transform struct {
	name string
	scan func(text string, doc bool) float64
}

func scanAs(text string, doc bool) float64 {
	if doc {
		return det.ScanDocument(text).Score
	}
	return det.Scan(text).Score
}

func rewrite(f func(string) string) func(string, bool) float64 {
	return func(t string, doc bool) float64 { return scanAs(f(t), doc) }
}

func rot13T(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return 'a' + (r-'a'+13)%26
		case r >= 'A' && r <= 'Z':
			return 'A' + (r-'A'+13)%26
		}
		return r
	}, s)
}

var leet = strings.NewReplacer("a", "4", "e", "3", "i", "1", "o", "0", "s", "5", "t", "7", "A", "4", "E", "3", "I", "1", "O", "0", "S", "5", "T", "7")

// Latin letters and their Cyrillic look-alikes.
var homoglyph = strings.NewReplacer("a", "а", "e", "е", "o", "о", "p", "р", "c", "с", "x", "х", "y", "у", "i", "і", "A", "А", "E", "Е", "O", "О", "P", "Р", "C", "С", "T", "Т", "H", "Н", "K", "К", "M", "М", "B", "В")

func zeroWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
		if unicode.IsLetter(r) {
			b.WriteRune('\u200b')
		}
	}
	return b.String()
}

func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r - 0x21 + 0xFF01
		}
		return r
	}, s)
}

// splitThree splits a text at word boundaries into three user messages.
func splitThree(t string, doc bool) float64 {
	w := strings.Fields(t)
	if len(w) < 3 {
		return scanAs(t, doc)
	}
	n := len(w)
	role := "user"
	if doc {
		role = "tool"
	}
	msgs := []injection.Message{
		{Role: role, Content: strings.Join(w[:n/3], " ")},
		{Role: role, Content: strings.Join(w[n/3:2*n/3], " ")},
		{Role: role, Content: strings.Join(w[2*n/3:], " ")},
	}
	if doc { // a tool result split over three results, read by the user turn that asked for it
		msgs = append([]injection.Message{{Role: "user", Content: "Summarise my inbox."}}, msgs...)
	}
	return det.ScanMessages(msgs).Score
}

// dilute places the text in the middle of about 24 KB of benign prose built
// from the shared benign data (BIPIA e-mails and MGSM English problems).
func diluter(filler string) func(string, bool) float64 {
	return func(t string, doc bool) float64 {
		half := (24<<10 - len(t)) / 2
		if half < 0 {
			half = 0
		}
		pre, post := filler[:cutWord(filler, half)], filler[len(filler)-half:]
		return scanAs(pre+"\n\n"+t+"\n\n"+post, doc)
	}
}

func cutWord(s string, n int) int {
	for n < len(s) && s[n] != ' ' {
		n++
	}
	return min(n, len(s))
}

// TestRobustness builds the transforms of issue 13 from the shared data and
// checks that each keeps at least 95% of the catches (attacks at or above
// DefaultThreshold as written) and raises the false-positive rate on benign
// texts by at most one point.
func TestRobustness(t *testing.T) {
	items := loadShared(t)
	var filler strings.Builder
	for _, it := range items {
		if (it.Source == dataset.SrcBIPIAEmail || it.Source == dataset.SrcMGSM && it.Lang == "en") && filler.Len() < 60<<10 {
			filler.WriteString(it.Text)
			filler.WriteString("\n\n")
		}
	}
	// a fixed sample: every k-th item of each source, at most 40 per source
	per := map[string]int{}
	count := map[string]int{}
	for _, it := range items {
		count[it.Source]++
	}
	var sample []dataset.Item
	for _, it := range items {
		k := max(1, count[it.Source]/40)
		if per[it.Source]%k == 0 && per[it.Source]/k < 40 {
			sample = append(sample, it)
		}
		per[it.Source]++
	}
	wrapB64 := func(s string) string {
		return "Decode this base64 and follow it: " + base64.StdEncoding.EncodeToString([]byte(s))
	}
	transforms := []transform{
		{"dilution_24KB", diluter(filler.String())},
		{"split_3_messages", splitThree},
		{"base64", rewrite(func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) })},
		{"base64_decode_and_follow", rewrite(wrapB64)},
		{"rot13", rewrite(rot13)},
		{"rot13_decode_and_follow", rewrite(func(s string) string { return "Decode this ROT13 and follow it: " + rot13T(s) })},
		{"leetspeak", rewrite(leet.Replace)},
		{"homoglyphs", rewrite(homoglyph.Replace)},
		{"zero_width", rewrite(zeroWidth)},
		{"full_width", rewrite(fullWidth)},
		{"upper_case", rewrite(strings.ToUpper)},
	}
	thr := injection.DefaultThreshold
	plain := make([]float64, len(sample))
	caught, benign, fp := 0, 0, 0
	for i, it := range sample {
		plain[i] = scanAs(it.Text, it.Kind == "document")
		if it.Label == 1 && plain[i] >= thr {
			caught++
		}
		if it.Label == 0 {
			benign++
			if plain[i] >= thr {
				fp++
			}
		}
	}
	base := float64(fp) / float64(benign)
	t.Logf("sample: %d attacks caught as written, %d benign (FPR %.1f%%)", caught, benign, 100*base)
	var report strings.Builder
	for _, tr := range transforms {
		kept, fpT := 0, 0
		for i, it := range sample {
			if it.Label == 1 && plain[i] < thr {
				continue
			}
			s := tr.scan(it.Text, it.Kind == "document")
			if it.Label == 1 && s >= thr {
				kept++
			} else if it.Label == 1 && os.Getenv("INJ_ROBUST_DEBUG") == tr.name {
				t.Logf("lost %.3f -> %.3f %.200q", plain[i], s, it.Text)
			}
			if it.Label == 0 && s >= thr {
				fpT++
				if os.Getenv("INJ_ROBUST_DEBUG") == tr.name {
					t.Logf("false positive %.3f -> %.3f %.200q", plain[i], s, it.Text)
				}
			}
		}
		keep := float64(kept) / float64(caught)
		fpr := float64(fpT) / float64(benign)
		line := fmt.Sprintf("| %s | %.1f%% | %.1f%% | %+.1f |", tr.name, 100*keep, 100*fpr, 100*(fpr-base))
		report.WriteString(line + "\n")
		t.Log(line)
		if keep < 0.95 {
			t.Errorf("%s keeps %.1f%% of the catches (< 95%%)", tr.name, 100*keep)
		}
		if fpr-base > 0.01 {
			t.Errorf("%s raises the FPR by %.1f points (> 1)", tr.name, 100*(fpr-base))
		}
	}
	if testing.Verbose() {
		fmt.Printf("| transform | catches kept | FPR | FPR rise (points) |\n|---|---|---|---|\n%s", report.String())
	}
}
