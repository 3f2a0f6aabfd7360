// Package compliance holds the pure domain of the Compliance module: frameworks
// and their requirement trees, cross-framework mappings and assessment scoring.
// Built-in catalogues live in domain/compliance/catalogue and the OSCAL import in
// domain/compliance/oscal. Nothing here does I/O or reads a clock.
package compliance

import (
	"errors"
	"fmt"
)

// Kind says where a framework comes from.
type Kind string

// Kinds of framework.
const (
	KindBuiltin  Kind = "builtin"
	KindImported Kind = "imported"
)

// Class is the structural role of a requirement in its framework's tree.
type Class string

// Classes of requirement. A framework uses the ones its publisher uses.
const (
	ClassFunction     Class = "function"       // NIST CSF / AI RMF top level
	ClassCategory     Class = "category"       // NIST CSF / AI RMF second level
	ClassSubcategory  Class = "subcategory"    // NIST CSF / AI RMF outcome
	ClassGroup        Class = "group"          // a heading (OSCAL group, ISO theme, SOC 2 series)
	ClassObjective    Class = "objective"      // an ISO control objective heading
	ClassControl      Class = "control"        // an ISO or OSCAL control
	ClassEnhancement  Class = "enhancement"    // an OSCAL control nested in a control
	ClassChapter      Class = "chapter"        // a chapter of a regulation
	ClassArticle      Class = "article"        // an article of a regulation
	ClassPoint        Class = "point"          // a numbered paragraph or point of an article
	ClassAnnex        Class = "annex"          // an annex of a regulation
	ClassAnnexPoint   Class = "annex-point"    // a numbered point of an annex
	ClassCriterion    Class = "criterion"      // a SOC 2 trust services criterion
	ClassPointOfFocus Class = "point-of-focus" // a SOC 2 point of focus (guidance, not a criterion)
	ClassRisk         Class = "risk"           // an entry of a risk list such as the OWASP LLM Top 10
)

// Framework is a catalogue of requirements: built in, or imported from OSCAL.
// Requirements are listed parents first, in the publisher's order, so a
// projection can store them as rows and rebuild the tree from ParentID.
type Framework struct {
	// ID is a stable slug such as "nist-ai-rmf-1.0".
	ID string `json:"id"`
	// Name is the publication's name.
	Name string `json:"name"`
	// Version is the publication's version or edition.
	Version string `json:"version"`
	// Publisher is the body that publishes the framework.
	Publisher string `json:"publisher"`
	// Source is the URL of the official publication.
	Source string `json:"source"`
	// Kind says whether the framework is built in or imported.
	Kind Kind `json:"kind"`
	// Scale is the scale its assessment score is reported on.
	Scale Scale `json:"scale"`
	// OSCALVersion is the OSCAL version of an imported document.
	OSCALVersion string `json:"oscal_version,omitempty"`
	// DocumentUUID is the uuid of an imported OSCAL document.
	DocumentUUID string `json:"document_uuid,omitempty"`
	// Requirements is the requirement tree, flattened parents first.
	Requirements []Requirement `json:"requirements"`
}

// Requirement is one node of a framework's tree: a heading or an assessable
// requirement. Identifiers are the publisher's; titles of built-in requirements
// are the official short names and descriptions are our own words.
type Requirement struct {
	// ID is the official identifier, e.g. "GOVERN 1.1", "A.5.1", "CC6.1",
	// "Art. 9", "LLM01:2025", "GV.OC-01"; for OSCAL the control or group id.
	ID string `json:"id"`
	// ParentID is the ID of the parent node, empty at the top.
	ParentID string `json:"parent_id,omitempty"`
	// Class is the node's structural role.
	Class Class `json:"class"`
	// Label is the publisher's display label when it differs from ID (OSCAL "AC-2(1)" for "ac-2.1").
	Label string `json:"label,omitempty"`
	// Title is the short name.
	Title string `json:"title"`
	// Description says what is expected, in our own words (for imports: the statement).
	Description string `json:"description"`
	// Assessable is true when an assessment records a result for it.
	Assessable bool `json:"assessable"`
	// Withdrawn is true when the publisher withdrew it; a withdrawn requirement is never assessable.
	Withdrawn bool `json:"withdrawn,omitempty"`
	// Tags qualify a requirement, e.g. "provider", "deployer" for the EU AI Act.
	Tags []string `json:"tags,omitempty"`
	// Params are an OSCAL control's parameters.
	Params []Param `json:"params,omitempty"`
	// Parts are an OSCAL control's parts (statement, guidance, objective …).
	Parts []Part `json:"parts,omitempty"`
}

// Param is an OSCAL parameter: a value the adopting organisation fills in.
type Param struct {
	ID         string     `json:"id"`
	Label      string     `json:"label,omitempty"`
	Usage      string     `json:"usage,omitempty"`
	Values     []string   `json:"values,omitempty"`
	Select     *Selection `json:"select,omitempty"`
	Guidelines []string   `json:"guidelines,omitempty"`
}

// Selection is an OSCAL parameter whose value is chosen among choices.
type Selection struct {
	HowMany string   `json:"how_many,omitempty"`
	Choices []string `json:"choices"`
}

// Part is an OSCAL part: named prose, possibly with sub-parts.
type Part struct {
	ID    string `json:"id,omitempty"`
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	Prose string `json:"prose,omitempty"`
	Parts []Part `json:"parts,omitempty"`
}

// Scale is the range a framework's score is reported on.
type Scale struct {
	Name string  `json:"name"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// Percent is the default scale: 0 to 100.
var Percent = Scale{Name: "percent", Min: 0, Max: 100}

// Errors of framework integrity.
var (
	ErrInvalidFramework = errors.New("compliance: invalid framework")
)

// Requirement returns the requirement with the given ID.
func (f Framework) Requirement(id string) (Requirement, bool) {
	for _, r := range f.Requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// Children returns the direct children of the node id ("" for the roots), in order.
func (f Framework) Children(id string) []Requirement {
	var out []Requirement
	for _, r := range f.Requirements {
		if r.ParentID == id {
			out = append(out, r)
		}
	}
	return out
}

// CountByClass counts requirements per class.
func (f Framework) CountByClass() map[Class]int {
	out := map[Class]int{}
	for _, r := range f.Requirements {
		out[r.Class]++
	}
	return out
}

// Validate checks the tree: a slug, unique non-empty IDs, parents that exist
// and come before their children (so no cycles), a title or description on every
// node, and no withdrawn node marked assessable.
func (f Framework) Validate() error {
	if f.ID == "" || f.Name == "" {
		return fmt.Errorf("%w: framework needs an id and a name", ErrInvalidFramework)
	}
	if f.Kind != KindBuiltin && f.Kind != KindImported {
		return fmt.Errorf("%w: %s: unknown kind %q", ErrInvalidFramework, f.ID, f.Kind)
	}
	if !(f.Scale.Max > f.Scale.Min) {
		return fmt.Errorf("%w: %s: scale max must exceed min", ErrInvalidFramework, f.ID)
	}
	seen := make(map[string]bool, len(f.Requirements))
	for i, r := range f.Requirements {
		switch {
		case r.ID == "":
			return fmt.Errorf("%w: %s: requirement %d has no id", ErrInvalidFramework, f.ID, i)
		case seen[r.ID]:
			return fmt.Errorf("%w: %s: duplicate requirement id %q", ErrInvalidFramework, f.ID, r.ID)
		case r.ParentID != "" && !seen[r.ParentID]:
			return fmt.Errorf("%w: %s: %q: parent %q missing or listed after it", ErrInvalidFramework, f.ID, r.ID, r.ParentID)
		case r.Class == "":
			return fmt.Errorf("%w: %s: %q has no class", ErrInvalidFramework, f.ID, r.ID)
		case r.Title == "" && r.Description == "":
			return fmt.Errorf("%w: %s: %q has neither title nor description", ErrInvalidFramework, f.ID, r.ID)
		case r.Withdrawn && r.Assessable:
			return fmt.Errorf("%w: %s: %q is withdrawn but assessable", ErrInvalidFramework, f.ID, r.ID)
		}
		seen[r.ID] = true
	}
	return nil
}

// Census counts a framework's nodes as the read model lists them.
type Census struct {
	// Requirements counts every node; Assessable the assessable ones not withdrawn.
	Requirements, Assessable, Withdrawn, Controls, Enhancements int
}

// Census counts f's nodes.
func (f Framework) Census() Census {
	n := Census{Requirements: len(f.Requirements)}
	for _, r := range f.Requirements {
		switch {
		case r.Withdrawn:
			n.Withdrawn++
		case r.Assessable:
			n.Assessable++
		}
		switch r.Class {
		case ClassControl:
			n.Controls++
		case ClassEnhancement:
			n.Enhancements++
		}
	}
	return n
}

// Imported is the FrameworkImported of f, parsed from a document in format
// ("json" or "xml") for the tenant; the caller adds the blob that keeps the tree.
func Imported(tenant string, f Framework, format string) *FrameworkImportedV1 {
	n := f.Census()
	return &FrameworkImportedV1{FrameworkID: f.ID, TenantID: tenant, Name: f.Name, Version: f.Version, Publisher: f.Publisher,
		Source: f.Source, OSCALVersion: f.OSCALVersion, DocumentUUID: f.DocumentUUID, Format: format, Requirements: n.Requirements,
		Controls: n.Controls, Enhancements: n.Enhancements, Withdrawn: n.Withdrawn, Assessable: n.Assessable}
}
