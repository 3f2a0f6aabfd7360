// Package injection detects prompt injection in LLM traffic.
//
// A scan normalises the text (NFKC, case folding, zero-width and bidi
// removal, homoglyph and leetspeak folding, collapsing of spaced-out
// letters), decodes embedded base64, hex, binary, URL/HTML/backslash escapes,
// Unicode tag characters, rot13 and reversed text and scans the decoded text
// too, then matches rule families (English and es, fr, de, it, pt, ru, ar,
// zh, ja, ko, nl, tr, pl, hi variants). A hashed n-gram logistic regression
// and the rule evidence are combined by a small logistic model into a
// calibrated score in [0,1]; the gateway blocks at DefaultThreshold.
//
// The model is trained by ./internal/train (see its doc comment for data,
// method and evaluation) and embedded; the package does no I/O.
package injection

import (
	"slices"
	"strings"
	"sync"

	"github.com/astrabastion/astra/domain/gateway/injection/internal/engine"
)

// Version identifies the detector (rules and model) in audit records.
const Version = engine.ModelVersion

// DefaultThreshold is the score at and above which the gateway blocks. It
// was set by the training program's rule (the lowest value >= 0.5 whose
// false-positive rate on the training negatives is at most 1%).
const DefaultThreshold = engine.ModelThreshold

// Signal is one piece of evidence that fired.
type Signal struct {
	Family     string  `json:"family"`
	Rule       string  `json:"rule"`
	Lang       string  `json:"lang,omitempty"`
	Evidence   string  `json:"evidence"` // normalised text that matched, truncated
	Weight     float64 `json:"weight"`
	Obfuscated bool    `json:"obfuscated,omitempty"` // found only after normalisation or decoding
}

// Result is the verdict on one input.
type Result struct {
	Score      float64  `json:"score"`      // calibrated probability-like score in [0,1]
	Patterns   []string `json:"patterns"`   // families that fired, sorted
	Signals    []Signal `json:"signals"`    // strongest first
	Normalized bool     `json:"normalized"` // obfuscation was undone (invisible characters, homoglyphs, encodings, …)
	Version    string   `json:"version"`    // detector and model version (Version)
}

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Family names and describes a pattern family.
type Family struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Families lists the pattern families (for the detector catalogue).
func Families() []Family {
	out := make([]Family, 0, len(engine.FamilyCatalog))
	for _, f := range engine.FamilyCatalog {
		out = append(out, Family{Name: f.Name, Description: f.Description})
	}
	return out
}

// Option configures a Detector.
type Option func(*Detector)

// WithThreshold sets the threshold used by Blocked (default DefaultThreshold).
func WithThreshold(t float64) Option { return func(d *Detector) { d.threshold = t } }

// WithDocumentRoles sets the message roles whose content is retrieved or tool
// output rather than typed by the user (default: tool, function, document,
// retrieval). Instructions addressed to the assistant there count as
// indirect injection.
func WithDocumentRoles(roles ...string) Option {
	return func(d *Detector) {
		d.docRoles = map[string]bool{}
		for _, r := range roles {
			d.docRoles[strings.ToLower(r)] = true
		}
	}
}

// WithTrustedRoles sets the roles that are trusted context and not scanned
// (default: system, developer).
func WithTrustedRoles(roles ...string) Option {
	return func(d *Detector) {
		d.trusted = map[string]bool{}
		for _, r := range roles {
			d.trusted[strings.ToLower(r)] = true
		}
	}
}

// Detector scans text. It is immutable after New and safe for concurrent use.
type Detector struct {
	eng       *engine.Engine
	model     *engine.Model
	threshold float64
	docRoles  map[string]bool
	trusted   map[string]bool
}

var (
	shared     *engine.Engine
	sharedM    *engine.Model
	sharedOnce sync.Once
)

// New returns a detector. The rules and the embedded model are compiled once
// per process; New panics if they are invalid (a build defect caught by the
// tests).
func New(opts ...Option) *Detector {
	sharedOnce.Do(func() {
		var err error
		if shared, err = engine.New(); err != nil {
			panic("injection: " + err.Error())
		}
		if sharedM, err = engine.DefaultModel(); err != nil {
			panic("injection: " + err.Error())
		}
	})
	d := &Detector{
		eng: shared, model: sharedM, threshold: DefaultThreshold,
		docRoles: map[string]bool{"tool": true, "function": true, "document": true, "retrieval": true},
		trusted:  map[string]bool{"system": true, "developer": true},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Threshold returns the blocking threshold of this detector.
func (d *Detector) Threshold() float64 { return d.threshold }

// Blocked reports whether r reaches the detector's threshold.
func (d *Detector) Blocked(r Result) bool { return r.Score >= d.threshold }

// Long inputs are scored segment by segment: overlapping windows of about
// segWindow bytes cut at paragraph, sentence or word boundaries, the score
// being the maximum over the segments. A short injected paragraph in a long
// document therefore scores as it would alone, and the cost stays linear
// (about 1.5 times the text).
const (
	segSingle  = 2048 // texts up to this length are one segment
	segWindow  = 1536
	segOverlap = 512
)

// Scan scores one text typed by a user (user-input calibration).
func (d *Detector) Scan(text string) Result {
	return d.scan(text, engine.Context{})
}

func (d *Detector) scan(text string, ctx engine.Context) Result {
	if len(text) <= segSingle {
		return d.scanOne(text, ctx)
	}
	var parts []Result
	for start := 0; start < len(text); {
		end := cutAt(text, start, min(len(text), start+segWindow))
		parts = append(parts, d.scanOne(text[start:end], ctx))
		if end >= len(text) {
			break
		}
		next := cutAt(text, start, end-segOverlap)
		if next <= start {
			next = end
		}
		start = next
	}
	return merge(parts)
}

// cutAt moves a cut at end back (by at most a quarter window) to a
// paragraph, sentence or word boundary, never splitting a rune and never
// going back to start.
func cutAt(text string, start, end int) int {
	if end >= len(text) {
		return len(text)
	}
	lo := max(start+1, end-segWindow/4)
	for _, isCut := range []func(i int) bool{
		func(i int) bool { return text[i-1] == '\n' },
		func(i int) bool { return i >= 2 && text[i-1] == ' ' && strings.IndexByte(".!?:;", text[i-2]) >= 0 },
		func(i int) bool { return text[i-1] == ' ' || text[i-1] == '\t' },
	} {
		for i := end; i > lo; i-- {
			if isCut(i) {
				return i
			}
		}
	}
	for end > start+1 && !isBoundary(text[end]) {
		end--
	}
	return end
}

func isBoundary(b byte) bool { return b < 0x80 || b >= 0xC0 }

func (d *Detector) scanOne(text string, ctx engine.Context) Result {
	a := d.eng.Analyze(text, ctx, &d.model.Lin, nil)
	r := Result{Score: d.model.ScoreIn(&a, ctx.Document), Normalized: a.Normalized, Signals: make([]Signal, 0, len(a.Signals)), Version: Version}
	for _, s := range a.Signals {
		name := engine.FamilyCatalog[s.Family].Name
		r.Signals = append(r.Signals, Signal{Family: name, Rule: s.Rule, Lang: s.Lang, Evidence: s.Evidence, Weight: s.Weight, Obfuscated: s.Obfuscated})
		if !slices.Contains(r.Patterns, name) {
			r.Patterns = append(r.Patterns, name)
		}
	}
	slices.Sort(r.Patterns)
	if r.Patterns == nil {
		r.Patterns = []string{}
	}
	return r
}

// ScanMessages scores a conversation. System (trusted) messages are not
// scanned; every other message is scanned on its own (tool and document
// messages as retrieved content), and the user turns are also scanned
// joined, so that an attack split over several messages is seen whole. The
// conversation scores as its most suspicious part, so a long benign history
// cannot dilute an attack.
func (d *Detector) ScanMessages(msgs []Message) Result {
	var parts []Result
	var user []string
	for _, m := range msgs {
		role := strings.ToLower(m.Role)
		if d.trusted[role] || strings.TrimSpace(m.Content) == "" {
			continue
		}
		doc := d.docRoles[role]
		parts = append(parts, d.scan(m.Content, engine.Context{Document: doc}))
		if !doc {
			user = append(user, m.Content)
		}
	}
	if len(user) > 1 {
		parts = append(parts, d.scan(JoinTurns(user), engine.Context{}))
	}
	return merge(parts)
}

// JoinTurns joins the texts of consecutive turns as the detector reads them
// together (the gateway uses it for a request's user messages).
func JoinTurns(texts []string) string { return strings.Join(texts, "\n") }

// merge combines partial results: the maximum score, the union of families
// and signals (strongest first, one per family and rule).
func merge(parts []Result) Result {
	out := Result{Patterns: []string{}, Signals: []Signal{}, Version: Version}
	for _, p := range parts {
		out.Score = max(out.Score, p.Score)
		out.Normalized = out.Normalized || p.Normalized
		for _, f := range p.Patterns {
			if !slices.Contains(out.Patterns, f) {
				out.Patterns = append(out.Patterns, f)
			}
		}
	next:
		for _, s := range p.Signals {
			for i := range out.Signals {
				if out.Signals[i].Family == s.Family && out.Signals[i].Rule == s.Rule {
					if s.Weight > out.Signals[i].Weight {
						out.Signals[i] = s
					}
					continue next
				}
			}
			out.Signals = append(out.Signals, s)
		}
	}
	slices.Sort(out.Patterns)
	slices.SortStableFunc(out.Signals, func(a, b Signal) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	return out
}

// ScanDocument scores one text that was retrieved or returned by a tool
// (not typed by the user), or a tool description: instructions addressed to
// the assistant in it count as indirect injection. Documents have their own
// calibration (trained so that DefaultThreshold bounds the false-positive
// rate of benign texts, typed instructions included, read as documents; see
// the README), so the same threshold applies to both contexts.
func (d *Detector) ScanDocument(text string) Result {
	return d.scan(text, engine.Context{Document: true})
}
