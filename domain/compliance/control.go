package compliance

import (
	"fmt"
	"strings"
)

// NewControl decides the ControlCreated of control id of the tenant: a name,
// a known status (not_implemented when empty) and references that CheckRefs
// accepted (none is an empty list).
func NewControl(id, tenant string, d ControlCreatedV1) (*ControlCreatedV1, error) {
	if d.Status == "" {
		d.Status = ControlNotImplemented
	}
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || !ValidControlStatus(d.Status) {
		return nil, fmt.Errorf("%w: a name and a status (%s) are required", ErrInvalidControl, strings.Join(ControlStatuses, ", "))
	}
	if d.Requirements == nil {
		d.Requirements = []Ref{}
	}
	d.ControlID, d.TenantID = id, tenant
	return &d, nil
}

// CheckControlChange refuses a change that empties the name or sets an unknown status.
func CheckControlChange(ch ControlUpdatedV1) error {
	if (ch.Status != nil && !ValidControlStatus(*ch.Status)) || (ch.Name != nil && strings.TrimSpace(*ch.Name) == "") {
		return fmt.Errorf("%w: a name, and a status among %s", ErrInvalidControl, strings.Join(ControlStatuses, ", "))
	}
	return nil
}

// CheckRefs refuses a control's references that repeat, or that name a
// requirement the tenant does not see or that is not assessable; requirement
// looks each one up in the frameworks the tenant sees.
func CheckRefs(refs []Ref, requirement func(Ref) (Requirement, error)) error {
	seen := map[Ref]bool{}
	for _, ref := range refs {
		if seen[ref] {
			return fmt.Errorf("%w: %s is listed twice", ErrInvalidControl, ref)
		}
		seen[ref] = true
		r, err := requirement(ref)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidControl, err)
		}
		if !r.Assessable || r.Withdrawn {
			return fmt.Errorf("%w: %s is not assessable", ErrInvalidControl, ref)
		}
	}
	return nil
}
