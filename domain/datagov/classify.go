package datagov

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/astrabastion/astra/domain/gateway/pii"
)

// Sensitivity levels, from least to most sensitive.
const (
	Public       = "public"
	Internal     = "internal"
	Confidential = "confidential"
	Restricted   = "restricted"
)

// Sensitivities lists the levels in increasing order.
var Sensitivities = []string{Public, Internal, Confidential, Restricted}

func rank(s string) int { return slices.Index(Sensitivities, s) }

// higher returns the more sensitive of a and b.
func higher(a, b string) string {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// sensitivityOf maps the PII engine's entity types to a level: data that
// identifies a person or opens an account on its own is restricted; contact
// and network identifiers are confidential; URLs and dates are internal.
// A type the engine adds later is confidential until it is listed here.
func sensitivityOf(typ string) string {
	switch typ {
	case pii.TypeCreditCard, pii.TypeIBAN, pii.TypeUSSSN, pii.TypeUSITIN, pii.TypeUSBankNumber, pii.TypeABARouting,
		pii.TypeUKNHS, pii.TypeUSDriverLicense, pii.TypeAPIKey, pii.TypePrivateKey, pii.TypeSecret, pii.TypeCrypto:
		return Restricted
	case pii.TypeEmail, pii.TypePhone, pii.TypeIPAddress:
		return Confidential
	case pii.TypeURL, pii.TypeDateTime:
		return Internal
	}
	return Confidential
}

// Limits of one classification request.
const (
	MaxColumns          = 500
	MaxSamplesPerColumn = 1000
	MaxSampleBytes      = 10_000
	// MinShare is the share of a column's samples a type must reach to set the
	// column's sensitivity (a stray match in a free-text column does not make
	// it a column of that type, but it is still reported).
	MinShare = 0.1
)

// Classification summarises what a classification found.
type Classification struct {
	Sensitivity string `json:"sensitivity" enum:"public,internal,confidential,restricted"`
	// Types are the PII types found (the gateway's type names), sorted.
	Types []string `json:"types"`
	// Samples and Bytes count what was classified.
	Samples int   `json:"samples"`
	Bytes   int64 `json:"bytes"`
	// Engine is the version of the gateway PII engine that classified.
	Engine string `json:"engine"`
}

// TypeFinding is one PII type found in a column.
type TypeFinding struct {
	Type string `json:"type"`
	// Count is how many samples hold the type; Share that count per sample.
	Count int     `json:"count"`
	Share float64 `json:"share"`
	// Confidence is Share times the mean score of the matches (0–1).
	Confidence  float64 `json:"confidence"`
	Sensitivity string  `json:"sensitivity" enum:"public,internal,confidential,restricted"`
}

// ColumnFindings is the classification of one column's samples.
type ColumnFindings struct {
	Column      string        `json:"column"`
	Samples     int           `json:"samples"`
	Sensitivity string        `json:"sensitivity" enum:"public,internal,confidential,restricted"`
	Findings    []TypeFinding `json:"findings"`
}

// Entity is one span of a classified text (its value is not repeated).
type Entity struct {
	Type        string  `json:"type"`
	Start       int     `json:"start"`
	End         int     `json:"end"`
	Score       float64 `json:"score"`
	Sensitivity string  `json:"sensitivity" enum:"public,internal,confidential,restricted"`
}

// Classifier classifies text and column samples with the gateway's PII
// engine (one engine: the detector the gateway's pipeline runs, with every
// type enabled, dates and URLs included). Safe for concurrent use.
type Classifier struct {
	d *pii.Detector
}

// NewClassifier builds the classifier (the engine's tables are prepared once).
func NewClassifier() *Classifier { return &Classifier{d: pii.New(pii.WithAllTypes())} }

// Text classifies one text: its entities and overall classification.
func (c *Classifier) Text(text string) (Classification, []Entity) {
	found := c.d.Find(text)
	out := make([]Entity, 0, len(found))
	types := map[string]bool{}
	level := Public
	for _, e := range found {
		s := sensitivityOf(e.Type)
		out = append(out, Entity{Type: e.Type, Start: e.Start, End: e.End, Score: e.Score, Sensitivity: s})
		types[e.Type] = true
		level = higher(level, s)
	}
	return Classification{Sensitivity: level, Types: sortedKeys(types), Samples: 1, Bytes: int64(len(text)), Engine: pii.Version}, out
}

// CheckColumns refuses column samples beyond the limits.
func CheckColumns(cols map[string][]string) error {
	if len(cols) == 0 {
		return fmt.Errorf("%w: give text or at least one column", ErrInvalidSamples)
	}
	if len(cols) > MaxColumns {
		return fmt.Errorf("%w: at most %d columns", ErrInvalidSamples, MaxColumns)
	}
	for name, samples := range cols {
		switch {
		case strings.TrimSpace(name) == "" || len(name) > 200:
			return fmt.Errorf("%w: a column name is 1 to 200 characters", ErrInvalidSamples)
		case len(samples) > MaxSamplesPerColumn:
			return fmt.Errorf("%w: column %q has more than %d samples", ErrInvalidSamples, name, MaxSamplesPerColumn)
		}
		for _, s := range samples {
			if len(s) > MaxSampleBytes {
				return fmt.Errorf("%w: a sample of column %q exceeds %d bytes", ErrInvalidSamples, name, MaxSampleBytes)
			}
		}
	}
	return nil
}

// Columns classifies column samples. A column's samples are scanned as one
// text, each on its own line after the column name ("customer email: …"), so
// that the engine's context words raise weak candidates in a column named for
// them (a bare nine-digit number in a column named ssn) and one scan serves
// the whole column; a match is counted for the sample it lies in (matches in
// the name, or across a line break, are not counted). Identical samples are
// scanned once. Columns come back sorted by name.
func (c *Classifier) Columns(cols map[string][]string) (Classification, []ColumnFindings) {
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	slices.Sort(names)
	sum := Classification{Sensitivity: Public, Engine: pii.Version}
	all := map[string]bool{}
	out := make([]ColumnFindings, 0, len(names))
	var text strings.Builder
	for _, name := range names {
		samples := cols[name]
		cf := c.column(name, samples, &text)
		for _, f := range cf.Findings {
			all[f.Type] = true
		}
		for _, s := range samples {
			sum.Bytes += int64(len(s))
		}
		sum.Samples += len(samples)
		sum.Sensitivity = higher(sum.Sensitivity, cf.Sensitivity)
		out = append(out, cf)
	}
	sum.Types = sortedKeys(all)
	return sum, out
}

// column classifies one column's samples (text is a reused buffer).
func (c *Classifier) column(name string, samples []string, text *strings.Builder) ColumnFindings {
	prefix := contextPrefix(name)
	// Each distinct non-empty sample once, on its line: starts[i] is where
	// distinct sample i begins in the text, uses[i] how many samples it stands for.
	index := map[string]int{}
	var starts []int
	var uses []int
	text.Reset()
	for _, s := range samples {
		if s == "" {
			continue
		}
		if i, seen := index[s]; seen {
			uses[i]++
			continue
		}
		index[s] = len(starts)
		text.WriteString(prefix)
		starts = append(starts, text.Len())
		uses = append(uses, 1)
		text.WriteString(s)
		text.WriteByte('\n')
	}
	type tally struct {
		count int
		score float64
	}
	tallies := map[string]*tally{}
	// best[type] of the distinct sample being read; entities come sorted by offset.
	best := map[string]float64{}
	current := -1
	flush := func() {
		if current < 0 {
			return
		}
		for typ, score := range best {
			t := tallies[typ]
			if t == nil {
				t = &tally{}
				tallies[typ] = t
			}
			t.count += uses[current]
			t.score += score * float64(uses[current])
		}
		clear(best)
	}
	body := text.String()
	for _, e := range c.d.Find(body) {
		// The sample the entity starts in: the last start at or before it.
		i, found := slices.BinarySearch(starts, e.Start)
		if !found {
			i--
		}
		if i < 0 || e.Start < starts[i] {
			continue // in a column name
		}
		end := len(body)
		if i+1 < len(starts) {
			end = starts[i+1] - len(prefix)
		}
		if e.End > end-1 {
			continue // runs past its line
		}
		if i != current {
			flush()
			current = i
		}
		best[e.Type] = math.Max(best[e.Type], e.Score)
	}
	flush()
	cf := ColumnFindings{Column: name, Samples: len(samples), Sensitivity: Public, Findings: []TypeFinding{}}
	for typ, t := range tallies {
		share := float64(t.count) / float64(len(samples))
		level := sensitivityOf(typ)
		cf.Findings = append(cf.Findings, TypeFinding{Type: typ, Count: t.count, Share: round3(share),
			Confidence: round3(share * t.score / float64(t.count)), Sensitivity: level})
		if share >= MinShare {
			cf.Sensitivity = higher(cf.Sensitivity, level)
		}
	}
	slices.SortFunc(cf.Findings, func(a, b TypeFinding) int {
		if a.Confidence != b.Confidence {
			if a.Confidence > b.Confidence {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Type, b.Type)
	})
	return cf
}

// contextPrefix renders a column name as words for the engine's context
// matching: "customer_email" reads "customer email: ".
func contextPrefix(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', '/':
			return ' '
		}
		return r
	}, name) + ": "
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }
