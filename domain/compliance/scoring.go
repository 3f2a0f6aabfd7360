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
	if !r.Valid() {
		return fmt.Errorf("%w: %q (want compliant, partial, non_compliant or not_applicable)", ErrInvalidResult, r)
	}
	req, ok := f.Requirement(id)
	if !ok {
		return fmt.Errorf("%w: %q in %s", ErrUnknownRequirement, id, f.ID)
	}
	if !req.Assessable || req.Withdrawn {
		return fmt.Errorf("%w: %q in %s", ErrNotAssessable, id, f.ID)
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
	s := Score{Scale: f.Scale}
	if s.Scale.Max <= s.Scale.Min {
		s.Scale = Percent
	}
	for id, r := range results {
		if err := CheckResult(f, id, r); err != nil {
			return Score{}, err
		}
	}
	credit := 0.0
	for _, req := range f.Requirements {
		if !req.Assessable || req.Withdrawn {
			continue
		}
		s.Assessable++
		r, ok := results[req.ID]
		if !ok {
			s.NotAssessed++
			continue
		}
		switch r {
		case ResultCompliant:
			s.Compliant++
		case ResultPartial:
			s.Partial++
		case ResultNonCompliant:
			s.NonCompliant++
		case ResultNotApplicable:
			s.NotApplicable++
		}
		credit += r.Credit()
	}
	if s.Assessable > 0 {
		s.Progress = float64(s.Assessable-s.NotAssessed) / float64(s.Assessable)
	}
	if applicable := s.Assessable - s.NotApplicable; applicable > 0 {
		s.Scorable = true
		s.Ratio = credit / float64(applicable)
		s.Value = s.Scale.Min + s.Ratio*(s.Scale.Max-s.Scale.Min)
	}
	return s, nil
}

// Rollup scores every non-assessable node (function, category, chapter …) over
// the assessable requirements beneath it, keyed by node ID. Nodes without any
// assessable descendant are left out.
func Rollup(f Framework, results map[string]Result) (map[string]Score, error) {
	if _, err := Assess(f, results); err != nil {
		return nil, err
	}
	children := map[string][]int{}
	for i, r := range f.Requirements {
		children[r.ParentID] = append(children[r.ParentID], i)
	}
	out := map[string]Score{}
	for _, node := range f.Requirements {
		if node.Assessable {
			continue
		}
		sub := Framework{ID: f.ID, Scale: f.Scale}
		stack := append([]int(nil), children[node.ID]...)
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			sub.Requirements = append(sub.Requirements, f.Requirements[i])
			stack = append(stack, children[f.Requirements[i].ID]...)
		}
		own := map[string]Result{}
		for _, r := range sub.Requirements {
			if res, ok := results[r.ID]; ok {
				own[r.ID] = res
			}
		}
		s, err := Assess(sub, own)
		if err != nil {
			return nil, err
		}
		if s.Assessable > 0 {
			out[node.ID] = s
		}
	}
	return out, nil
}
