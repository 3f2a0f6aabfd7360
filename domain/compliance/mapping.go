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
