package compliance

import (
	"errors"
	"math"
	"testing"
)

// sample is a small tree: one heading with four assessable leaves, a withdrawn
// leaf and a heading without results.
func sample() Framework {
	return Framework{ID: "t", Name: "Test", Kind: KindBuiltin, Scale: Percent, Requirements: []Requirement{
		{ID: "F", Class: ClassFunction, Title: "F"},
		{ID: "F.1", ParentID: "F", Class: ClassSubcategory, Title: "one", Assessable: true},
		{ID: "F.2", ParentID: "F", Class: ClassSubcategory, Title: "two", Assessable: true},
		{ID: "F.3", ParentID: "F", Class: ClassSubcategory, Title: "three", Assessable: true},
		{ID: "F.4", ParentID: "F", Class: ClassSubcategory, Title: "four", Assessable: true},
		{ID: "F.5", ParentID: "F", Class: ClassSubcategory, Title: "gone", Withdrawn: true},
		{ID: "G", Class: ClassFunction, Title: "G"},
	}}
}

func TestAssess_ScoresResults(t *testing.T) {
	cases := []struct {
		name          string
		results       map[string]Result
		wantRatio     float64
		wantProgress  float64
		wantScorable  bool
		wantNotAssess int
	}{
		{"nothing assessed scores zero, never compliant", nil, 0, 0, true, 4},
		{"one compliant of four: the three not assessed count as zero", map[string]Result{"F.1": ResultCompliant}, 0.25, 0.25, true, 3},
		{"all compliant", map[string]Result{"F.1": ResultCompliant, "F.2": ResultCompliant, "F.3": ResultCompliant, "F.4": ResultCompliant}, 1, 1, true, 0},
		{"partial counts half", map[string]Result{"F.1": ResultPartial, "F.2": ResultPartial, "F.3": ResultCompliant, "F.4": ResultNonCompliant}, 0.5, 1, true, 0},
		{"not applicable leaves the denominator", map[string]Result{"F.1": ResultCompliant, "F.2": ResultNotApplicable, "F.3": ResultNotApplicable, "F.4": ResultNonCompliant}, 0.5, 1, true, 0},
		{"not applicable still counts as progress", map[string]Result{"F.1": ResultNotApplicable}, 0, 0.25, true, 3},
		{"everything not applicable is not scorable", map[string]Result{"F.1": ResultNotApplicable, "F.2": ResultNotApplicable, "F.3": ResultNotApplicable, "F.4": ResultNotApplicable}, 0, 1, false, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Assess(sample(), c.results)
			if err != nil {
				t.Fatal(err)
			}
			if s.Assessable != 4 {
				t.Fatalf("assessable = %d, want 4 (headings and withdrawn excluded)", s.Assessable)
			}
			if math.Abs(s.Ratio-c.wantRatio) > 1e-9 || math.Abs(s.Progress-c.wantProgress) > 1e-9 || s.Scorable != c.wantScorable || s.NotAssessed != c.wantNotAssess {
				t.Fatalf("got ratio %v progress %v scorable %v not assessed %d", s.Ratio, s.Progress, s.Scorable, s.NotAssessed)
			}
			if math.Abs(s.Value-100*c.wantRatio) > 1e-9 {
				t.Fatalf("value %v on percent scale, want %v", s.Value, 100*c.wantRatio)
			}
		})
	}
}

func TestAssess_ReportsOnTheFrameworksScale(t *testing.T) {
	f := sample()
	f.Scale = Scale{Name: "tier", Min: 1, Max: 4}
	s, err := Assess(f, map[string]Result{"F.1": ResultCompliant, "F.2": ResultCompliant, "F.3": ResultNonCompliant, "F.4": ResultNonCompliant})
	if err != nil {
		t.Fatal(err)
	}
	if s.Value != 2.5 {
		t.Fatalf("value = %v, want 2.5 (halfway between 1 and 4)", s.Value)
	}
}

func TestAssess_RefusesResultsItCannotCount(t *testing.T) {
	cases := []struct {
		name    string
		results map[string]Result
		want    error
	}{
		{"unknown result value", map[string]Result{"F.1": "done"}, ErrInvalidResult},
		{"empty result value", map[string]Result{"F.1": ""}, ErrInvalidResult},
		{"unknown requirement", map[string]Result{"X.9": ResultCompliant}, ErrUnknownRequirement},
		{"heading", map[string]Result{"F": ResultCompliant}, ErrNotAssessable},
		{"withdrawn requirement", map[string]Result{"F.5": ResultCompliant}, ErrNotAssessable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Assess(sample(), c.results); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestRollup_ScoresEachHeadingOverItsLeaves(t *testing.T) {
	got, err := Rollup(sample(), map[string]Result{"F.1": ResultCompliant, "F.2": ResultPartial})
	if err != nil {
		t.Fatal(err)
	}
	f, ok := got["F"]
	if !ok || f.Assessable != 4 || math.Abs(f.Ratio-0.375) > 1e-9 {
		t.Fatalf("F = %+v, want 4 assessable and ratio 0.375", f)
	}
	if _, ok := got["G"]; ok {
		t.Fatal("a heading without assessable leaves has no score")
	}
}

func TestValidate_FindsBrokenTrees(t *testing.T) {
	mutate := func(m func(*Framework)) Framework { f := sample(); m(&f); return f }
	cases := []struct {
		name string
		f    Framework
		ok   bool
	}{
		{"sample is valid", sample(), true},
		{"duplicate id", mutate(func(f *Framework) { f.Requirements[2].ID = "F.1" }), false},
		{"missing parent", mutate(func(f *Framework) { f.Requirements[1].ParentID = "Z" }), false},
		{"parent listed after child", mutate(func(f *Framework) { f.Requirements[0].ParentID = "F.1" }), false},
		{"no title nor description", mutate(func(f *Framework) { f.Requirements[1].Title = "" }), false},
		{"withdrawn yet assessable", mutate(func(f *Framework) { f.Requirements[5].Assessable = true }), false},
		{"no kind", mutate(func(f *Framework) { f.Kind = "" }), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.f.Validate()
			if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrInvalidFramework)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestValidateMapping_ChecksRelationStrengthAndEnds(t *testing.T) {
	other := Framework{ID: "o", Name: "Other", Kind: KindBuiltin, Scale: Percent, Requirements: []Requirement{{ID: "X", Class: ClassControl, Title: "x", Assessable: true}}}
	fw := map[string]Framework{"t": sample(), "o": other}
	cases := []struct {
		name string
		m    Mapping
		ok   bool
	}{
		{"full", Mapping{Ref{"t", "F.1"}, Ref{"o", "X"}, Satisfies, 1, ""}, true},
		{"partial", Mapping{Ref{"t", "F.1"}, Ref{"o", "X"}, PartiallySatisfies, 0.5, ""}, true},
		{"full below 1", Mapping{Ref{"t", "F.1"}, Ref{"o", "X"}, Satisfies, 0.9, ""}, false},
		{"partial at 1", Mapping{Ref{"t", "F.1"}, Ref{"o", "X"}, PartiallySatisfies, 1, ""}, false},
		{"partial at 0", Mapping{Ref{"t", "F.1"}, Ref{"o", "X"}, PartiallySatisfies, 0, ""}, false},
		{"unknown requirement", Mapping{Ref{"t", "F.9"}, Ref{"o", "X"}, Satisfies, 1, ""}, false},
		{"heading", Mapping{Ref{"t", "F"}, Ref{"o", "X"}, Satisfies, 1, ""}, false},
		{"same framework", Mapping{Ref{"t", "F.1"}, Ref{"t", "F.2"}, Satisfies, 1, ""}, false},
		{"unknown framework", Mapping{Ref{"t", "F.1"}, Ref{"z", "X"}, Satisfies, 1, ""}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := ValidateMapping(c.m, fw); (err == nil) != c.ok {
				t.Fatalf("ValidateMapping = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func TestRollup_CountsGrandchildrenInEveryAncestor(t *testing.T) {
	f := Framework{ID: "n", Name: "Nested", Kind: KindBuiltin, Scale: Percent, Requirements: []Requirement{
		{ID: "F", Class: ClassFunction, Title: "F"},
		{ID: "F.A", ParentID: "F", Class: ClassCategory, Title: "A"},
		{ID: "F.A-1", ParentID: "F.A", Class: ClassSubcategory, Title: "a1", Assessable: true},
		{ID: "F.A-2", ParentID: "F.A", Class: ClassSubcategory, Title: "a2", Assessable: true},
		{ID: "F.B", ParentID: "F", Class: ClassCategory, Title: "B"},
		{ID: "F.B-1", ParentID: "F.B", Class: ClassSubcategory, Title: "b1", Assessable: true},
		// an assessable control with an assessable enhancement: both count, the control is not a heading
		{ID: "c", Class: ClassControl, Title: "c", Assessable: true},
		{ID: "c.1", ParentID: "c", Class: ClassEnhancement, Title: "c1", Assessable: true},
	}}
	got, err := Rollup(f, map[string]Result{"F.A-1": ResultCompliant, "F.A-2": ResultNonCompliant, "F.B-1": ResultNotApplicable})
	if err != nil {
		t.Fatal(err)
	}
	if s := got["F"]; s.Assessable != 3 || s.NotApplicable != 1 || s.Ratio != 0.5 {
		t.Fatalf("F = %+v, want 3 assessable, ratio 1/2", s)
	}
	if s := got["F.B"]; s.Scorable {
		t.Fatalf("F.B is all not applicable, so not scorable: %+v", s)
	}
	if _, ok := got["c"]; ok {
		t.Fatal("assessable nodes are scored as requirements, not rolled up")
	}
	all, _ := Assess(f, nil)
	if all.Assessable != 5 {
		t.Fatalf("assessable = %d, want 5", all.Assessable)
	}
}
