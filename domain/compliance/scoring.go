package compliance

import (
	"errors"
	"fmt"
)

// Result is the outcome recorded for one requirement in an assessment.
type Result string

// Results of a requirement. A requirement with no recorded result is not
// assessed: it is never counted as compliant.
const (
	ResultCompliant     Result = "compliant"
	ResultPartial       Result = "partial"
	ResultNonCompliant  Result = "non_compliant"
	ResultNotApplicable Result = "not_applicable"
)

// Valid reports whether r is one of the four results.
func (r Result) Valid() bool {
	switch r {
	case ResultCompliant, ResultPartial, ResultNonCompliant, ResultNotApplicable:
		return true
	}
	return false
}

// Credit is what a result contributes to the score: compliant 1, partial ½,
// non-compliant 0. Not applicable carries no credit and leaves the denominator.
func (r Result) Credit() float64 {
	switch r {
	case ResultCompliant:
		return 1
	case ResultPartial:
		return 0.5
	}
	return 0
}

// Errors of assessment scoring.
var (
	ErrInvalidResult      = errors.New("compliance: invalid result")
	ErrUnknownRequirement = errors.New("compliance: unknown requirement")
	ErrNotAssessable      = errors.New("compliance: requirement is not assessable")
)

// CheckResult decides whether a result may be recorded for requirement id of f.
func CheckResult(f Framework, id string, r Result) error {
	req, ok := f.Requirement(id)
	return checkResult(f.ID, id, req, ok, r)
}

func checkResult(framework, id string, req Requirement, found bool, r Result) error {
	if err := r.Check(); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%w: %q in %s", ErrUnknownRequirement, id, framework)
	}
	if !req.Assessable || req.Withdrawn {
		return fmt.Errorf("%w: %q in %s", ErrNotAssessable, id, framework)
	}
	return nil
}

// Score summarises an assessment of one framework.
type Score struct {
	// Assessable counts the framework's assessable, non-withdrawn requirements.
	Assessable    int `json:"assessable"`
	Compliant     int `json:"compliant"`
	Partial       int `json:"partial"`
	NonCompliant  int `json:"non_compliant"`
	NotApplicable int `json:"not_applicable"`
	NotAssessed   int `json:"not_assessed"`
	// Progress is the share of assessable requirements with a result, 0..1.
	Progress float64 `json:"progress"`
	// Ratio is credit over applicable requirements, 0..1. Applicable means
	// assessable and not marked not applicable; a requirement not yet assessed
	// is applicable and earns nothing, so leaving hard requirements unassessed
	// never raises the score.
	Ratio float64 `json:"ratio"`
	// Value is Ratio on the framework's scale.
	Value float64 `json:"value"`
	// Scale is the framework's scale.
	Scale Scale `json:"scale"`
	// Scorable is false when nothing is applicable (everything not applicable,
	// or no assessable requirement): Ratio and Value are then zero and meaningless.
	Scorable bool `json:"scorable"`
}

// Assess scores results (requirement ID → result) against framework f. Results
// for unknown, non-assessable or withdrawn requirements, or invalid results,
// are errors: the caller should have refused them with CheckResult.
func Assess(f Framework, results map[string]Result) (Score, error) {
	if err := checkResults(f, results); err != nil {
		return Score{}, err
	}
	var t tally
	for _, req := range f.Requirements {
		t.add(req, results)
	}
	return t.score(f.Scale), nil
}

// Rollup scores every non-assessable node (function, category, chapter …) over
// the assessable requirements beneath it, keyed by node ID. Nodes without any
// assessable descendant are left out.
func Rollup(f Framework, results map[string]Result) (map[string]Score, error) {
	if err := checkResults(f, results); err != nil {
		return nil, err
	}
	parent := make(map[string]string, len(f.Requirements))
	for _, r := range f.Requirements {
		parent[r.ID] = r.ParentID
	}
	tallies := map[string]*tally{}
	for _, r := range f.Requirements {
		// Walk up the ancestors; the hop limit guards against a cycle in an unvalidated tree.
		for p, hops := r.ParentID, 0; p != "" && hops < len(f.Requirements); p, hops = parent[p], hops+1 {
			t := tallies[p]
			if t == nil {
				t = &tally{}
				tallies[p] = t
			}
			t.add(r, results)
		}
	}
	out := map[string]Score{}
	for _, node := range f.Requirements {
		if t := tallies[node.ID]; t != nil && !node.Assessable && t.assessable > 0 {
			out[node.ID] = t.score(f.Scale)
		}
	}
	return out, nil
}

func checkResults(f Framework, results map[string]Result) error {
	if len(results) == 0 {
		return nil
	}
	index := make(map[string]int, len(f.Requirements))
	for i, r := range f.Requirements {
		index[r.ID] = i
	}
	for id, r := range results {
		i, ok := index[id]
		var req Requirement
		if ok {
			req = f.Requirements[i]
		}
		if err := checkResult(f.ID, id, req, ok, r); err != nil {
			return err
		}
	}
	return nil
}

// tally counts results over a set of requirements.
type tally struct {
	assessable, compliant, partial, nonCompliant, notApplicable, notAssessed int
	credit                                                                   float64
}

func (t *tally) add(req Requirement, results map[string]Result) {
	if !req.Assessable || req.Withdrawn {
		return
	}
	t.assessable++
	r, ok := results[req.ID]
	switch {
	case !ok:
		t.notAssessed++
		return
	case r == ResultCompliant:
		t.compliant++
	case r == ResultPartial:
		t.partial++
	case r == ResultNonCompliant:
		t.nonCompliant++
	case r == ResultNotApplicable:
		t.notApplicable++
	}
	t.credit += r.Credit()
}

func (t tally) score(scale Scale) Score {
	if scale.Max <= scale.Min {
		scale = Percent
	}
	s := Score{Assessable: t.assessable, Compliant: t.compliant, Partial: t.partial, NonCompliant: t.nonCompliant,
		NotApplicable: t.notApplicable, NotAssessed: t.notAssessed, Scale: scale}
	if t.assessable > 0 {
		s.Progress = float64(t.assessable-t.notAssessed) / float64(t.assessable)
	}
	if applicable := t.assessable - t.notApplicable; applicable > 0 {
		s.Scorable = true
		s.Ratio = t.credit / float64(applicable)
		s.Value = scale.Min + s.Ratio*(scale.Max-scale.Min)
	}
	return s
}
