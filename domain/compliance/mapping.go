package compliance

import (
	"errors"
	"fmt"
)

// Relation says how much of the target requirement a source requirement covers.
type Relation string

// Relations of a mapping.
const (
	// Satisfies: meeting the source requirement meets the target one.
	Satisfies Relation = "satisfies"
	// PartiallySatisfies: meeting the source requirement meets part of the target one.
	PartiallySatisfies Relation = "partially_satisfies"
)

// Ref points at one requirement of one framework.
type Ref struct {
	Framework   string `json:"framework"`
	Requirement string `json:"requirement"`
}

// String renders a reference as "framework:requirement".
func (r Ref) String() string { return r.Framework + ":" + r.Requirement }

// Mapping records that a requirement of one framework satisfies, fully or in
// part, a requirement of another. It is directional: evidence for From counts
// towards To, with Strength (1 for Satisfies, strictly between 0 and 1 for
// PartiallySatisfies) saying how much.
type Mapping struct {
	From     Ref      `json:"from"`
	To       Ref      `json:"to"`
	Relation Relation `json:"relation"`
	Strength float64  `json:"strength"`
	// Rationale says in a few words why the mapping holds.
	Rationale string `json:"rationale,omitempty"`
}

// ErrInvalidMapping is returned for a mapping that is malformed or points nowhere.
var ErrInvalidMapping = errors.New("compliance: invalid mapping")

// ValidateMapping checks a mapping's relation and strength and, given the
// frameworks by ID, that both ends exist and are assessable.
func ValidateMapping(m Mapping, frameworks map[string]Framework) error {
	switch {
	case m.From.Framework == m.To.Framework:
		return fmt.Errorf("%w: %s → %s stays within one framework", ErrInvalidMapping, m.From, m.To)
	case m.Relation == Satisfies && m.Strength != 1:
		return fmt.Errorf("%w: %s → %s: satisfies needs strength 1, got %v", ErrInvalidMapping, m.From, m.To, m.Strength)
	case m.Relation == PartiallySatisfies && !(m.Strength > 0 && m.Strength < 1):
		return fmt.Errorf("%w: %s → %s: partially_satisfies needs a strength in (0,1), got %v", ErrInvalidMapping, m.From, m.To, m.Strength)
	case m.Relation != Satisfies && m.Relation != PartiallySatisfies:
		return fmt.Errorf("%w: %s → %s: unknown relation %q", ErrInvalidMapping, m.From, m.To, m.Relation)
	}
	for _, ref := range []Ref{m.From, m.To} {
		f, ok := frameworks[ref.Framework]
		if !ok {
			return fmt.Errorf("%w: unknown framework %q", ErrInvalidMapping, ref.Framework)
		}
		r, ok := f.Requirement(ref.Requirement)
		if !ok {
			return fmt.Errorf("%w: %s does not exist", ErrInvalidMapping, ref)
		}
		if !r.Assessable {
			return fmt.Errorf("%w: %s is not assessable", ErrInvalidMapping, ref)
		}
	}
	return nil
}

// Coverage is one requirement a control covers.
type Coverage struct {
	Framework   string `json:"framework"`
	Requirement string `json:"requirement"`
	// Via is "direct" (the control names it), "mapping" (a mapping from a
	// requirement it names) or "reverse_mapping" (a mapping to a requirement it names).
	Via string `json:"via" enum:"direct,mapping,reverse_mapping"`
	// From is the requirement of the control the mapping starts from (not for direct).
	From     *Ref    `json:"from,omitempty"`
	Strength float64 `json:"strength"`
}

// CoverageOf expands a control's references into what it covers in the
// adopted frameworks: each reference itself, and the requirements a mapping
// links to it in either direction (a mapping says meeting From meets To;
// read backwards it says a control meeting To meets From's overlap). The
// strongest path to a requirement wins.
func CoverageOf(refs []Ref, adopted map[string]bool, mappings []Mapping) []Coverage {
	out := []Coverage{}
	at := map[Ref]int{}
	add := func(c Coverage) {
		if !adopted[c.Framework] {
			return
		}
		k := Ref{Framework: c.Framework, Requirement: c.Requirement}
		if i, ok := at[k]; ok {
			if c.Strength > out[i].Strength {
				out[i] = c
			}
			return
		}
		at[k] = len(out)
		out = append(out, c)
	}
	for _, r := range refs {
		add(Coverage{Framework: r.Framework, Requirement: r.Requirement, Via: "direct", Strength: 1})
	}
	for _, r := range refs {
		from := r
		for _, m := range mappings {
			switch {
			case m.From == r:
				add(Coverage{Framework: m.To.Framework, Requirement: m.To.Requirement, Via: "mapping", From: &from, Strength: m.Strength})
			case m.To == r:
				add(Coverage{Framework: m.From.Framework, Requirement: m.From.Requirement, Via: "reverse_mapping", From: &from, Strength: m.Strength})
			}
		}
	}
	return out
}
