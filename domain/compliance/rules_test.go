package compliance

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// lookup answers requirement lookups from sample().
func lookup(_ string, id string) (Requirement, error) {
	r, ok := sample().Requirement(id)
	if !ok {
		return Requirement{}, ErrUnknownRequirement
	}
	return r, nil
}

func started() *Assessment {
	a := &Assessment{}
	a.Started(Start("a1", "t1", sample(), 4, "  Q1  "))
	return a
}

func TestAssessment_AcceptsResultsOnlyForTheTenantsOpenAssessmentAndAssessableRequirements(t *testing.T) {
	done := started()
	done.Completed = true
	cases := []struct {
		name   string
		a      *Assessment
		tenant string
		req    string
		r      Result
		want   error
	}{
		{"an assessable requirement", started(), "t1", "F.1", ResultCompliant, nil},
		{"another tenant's assessment is not found", started(), "t2", "F.1", ResultCompliant, ErrAssessmentNotFound},
		{"an assessment never started is not found", &Assessment{}, "", "F.1", ResultCompliant, ErrAssessmentNotFound},
		{"a completed assessment is frozen", done, "t1", "F.1", ResultCompliant, ErrAssessmentCompleted},
		{"a heading is not assessable", started(), "t1", "F", ResultCompliant, ErrNotAssessable},
		{"a withdrawn requirement is not assessable", started(), "t1", "F.5", ResultCompliant, ErrNotAssessable},
		{"an unknown requirement", started(), "t1", "X", ResultCompliant, ErrUnknownRequirement},
		{"an unknown result", started(), "t1", "F.1", Result("maybe"), ErrInvalidResult},
	}
	for _, c := range cases {
		d, err := c.a.Assess(c.tenant, "a1", c.req, c.r, "", nil, lookup)
		if !errors.Is(err, c.want) || (c.want == nil && (d == nil || d.EvidenceIDs == nil)) {
			t.Errorf("%s: %+v %v, want %v", c.name, d, err, c.want)
		}
	}
}

func TestAssessment_CompletesWithTheScoreOfItsResultsAndRefusesNothingToScore(t *testing.T) {
	a := started()
	if a.Results == nil || a.Assessable != 4 {
		t.Fatalf("started: %+v", a)
	}
	if _, err := a.Complete("t1", "a1"); !errors.Is(err, ErrNothingToScore) {
		t.Fatalf("no result: %v", err)
	}
	na := started()
	for _, id := range []string{"F.1", "F.2", "F.3", "F.4"} {
		na.Assessed(&RequirementAssessedV1{RequirementID: id, Result: ResultNotApplicable})
	}
	if _, err := na.Complete("t1", "a1"); !errors.Is(err, ErrNothingToScore) {
		t.Fatalf("everything not applicable: %v", err)
	}
	a.Assessed(&RequirementAssessedV1{RequirementID: "F.1", Result: ResultNotApplicable})
	a.Assessed(&RequirementAssessedV1{RequirementID: "F.2", Result: ResultCompliant})
	a.Assessed(&RequirementAssessedV1{RequirementID: "F.3", Result: ResultPartial})
	d, err := a.Complete("t1", "a1")
	// 1.5 credit over 3 applicable requirements (F.4 unassessed earns nothing).
	if err != nil || d.Score != 50 || d.NotAssessed != 1 || d.NotApplicable != 1 || d.Compliant != 1 || d.Partial != 1 || d.TenantID != "t1" {
		t.Fatalf("completed: %+v %v", d, err)
	}
	if _, err := a.Complete("t2", "a1"); !errors.Is(err, ErrAssessmentNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
}

func TestStandingOf_ScoresOpenAssessmentsOnlyOnceSomethingApplicableIsAssessed(t *testing.T) {
	if s := StandingOf(Counts{Assessable: 4}, Percent, false); s.Score != nil || s.NotAssessed != 4 {
		t.Fatalf("nothing assessed: %+v", s)
	}
	s := StandingOf(Counts{Assessable: 4, Compliant: 1, NotApplicable: 1}, Percent, false)
	if s.Score == nil || math.Abs(*s.Score-100.0/3) > 1e-9 || s.Assessed != 2 || s.Progress != 0.5 {
		t.Fatalf("open: %+v", s)
	}
	if s := StandingOf(Counts{Assessable: 4, Compliant: 1}, Percent, true); s.Score != nil || s.Assessed != 1 {
		t.Fatalf("completed keeps its frozen score: %+v", s)
	}
}

func TestNewEvidence_IsAFileOrALinkThatExpiresAfterItTakesEffect(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	before, after := now.Add(-time.Hour), now.Add(time.Hour)
	cases := []struct {
		name      string
		d         EvidenceAddedV1
		effective *time.Time
		want      error
		kind      string
		named     string
	}{
		{"a file named after its file name", EvidenceAddedV1{SHA256: "ab", Filename: "r.pdf"}, nil, nil, EvidenceFile, "r.pdf"},
		{"a link named after its url", EvidenceAddedV1{URL: "https://x"}, nil, nil, EvidenceLink, "https://x"},
		{"a name is trimmed", EvidenceAddedV1{URL: "https://x", Name: " n "}, nil, nil, EvidenceLink, "n"},
		{"both", EvidenceAddedV1{URL: "https://x", SHA256: "ab"}, nil, ErrInvalidEvidence, "", ""},
		{"neither", EvidenceAddedV1{}, nil, ErrInvalidEvidence, "", ""},
		{"an expiry after now", EvidenceAddedV1{URL: "https://x", ExpiresAt: &after}, nil, nil, EvidenceLink, "https://x"},
		{"an expiry before it takes effect", EvidenceAddedV1{URL: "https://x", ExpiresAt: &before}, nil, ErrInvalidEvidence, "", ""},
		{"an expiry after an earlier effective date", EvidenceAddedV1{URL: "https://x", ExpiresAt: &before}, &[]time.Time{before.Add(-time.Hour)}[0], nil, EvidenceLink, "https://x"},
	}
	for _, c := range cases {
		d, err := NewEvidence(c.d, c.effective, now)
		if !errors.Is(err, c.want) || (err == nil && (d.Kind != c.kind || d.Name != c.named || d.EffectiveAt.IsZero())) {
			t.Errorf("%s: %+v %v", c.name, d, err)
		}
	}
}

func TestEvidence_SupportsResultsUntilItExpiresAndExpiresOnce(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(time.Hour)
	e := &Evidence{}
	if err := e.Usable("t1", "e1", now); !errors.Is(err, ErrEvidenceNotFound) {
		t.Fatalf("never added: %v", err)
	}
	e.Added(&EvidenceAddedV1{TenantID: "t1", ExpiresAt: &exp})
	if err := e.Usable("t2", "e1", now); !errors.Is(err, ErrEvidenceNotFound) {
		t.Fatalf("other tenant: %v", err)
	}
	if err := e.Usable("t1", "e1", now); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	if d := e.Expire("t1", "e1", now, nil); d != nil {
		t.Fatalf("expired before it is due: %+v", d)
	}
	if err := e.Usable("t1", "e1", exp); !errors.Is(err, ErrEvidenceExpiredUse) {
		t.Fatalf("at expiry: %v", err)
	}
	d := e.Expire("t1", "e1", exp, nil)
	if d == nil || d.Stale == nil || !d.ExpiresAt.Equal(exp) {
		t.Fatalf("due: %+v", d)
	}
	e.Expired = true
	if d := e.Expire("t1", "e1", exp.Add(time.Hour), nil); d != nil {
		t.Fatalf("expired twice: %+v", d)
	}
}

func TestControl_NeedsANameAKnownStatusAndAssessableRequirementsListedOnce(t *testing.T) {
	d, err := NewControl("c1", "t1", ControlCreatedV1{Name: " MFA "})
	if err != nil || d.Status != ControlNotImplemented || d.Name != "MFA" || d.Requirements == nil || d.ControlID != "c1" || d.TenantID != "t1" {
		t.Fatalf("defaults: %+v %v", d, err)
	}
	for _, bad := range []ControlCreatedV1{{Name: " "}, {Name: "x", Status: "done"}} {
		if _, err := NewControl("c1", "t1", bad); !errors.Is(err, ErrInvalidControl) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	empty, status := "", "done"
	for _, ch := range []ControlUpdatedV1{{Name: &empty}, {Status: &status}} {
		if err := CheckControlChange(ch); !errors.Is(err, ErrInvalidControl) {
			t.Errorf("change %+v: %v", ch, err)
		}
	}
	req := func(r Ref) (Requirement, error) { return lookup(r.Framework, r.Requirement) }
	ok := Ref{Framework: "t", Requirement: "F.1"}
	for _, refs := range [][]Ref{{ok, ok}, {{Framework: "t", Requirement: "F"}}, {{Framework: "t", Requirement: "F.5"}}, {{Framework: "t", Requirement: "X"}}} {
		if err := CheckRefs(refs, req); !errors.Is(err, ErrInvalidControl) {
			t.Errorf("refs %v: %v", refs, err)
		}
	}
	if err := CheckRefs([]Ref{ok}, req); err != nil {
		t.Fatal(err)
	}
}

func TestCoverageOf_FollowsMappingsBothWaysInAdoptedFrameworksStrongestFirst(t *testing.T) {
	a, b, c := Ref{"A", "1"}, Ref{"B", "1"}, Ref{"C", "1"}
	ms := []Mapping{
		{From: a, To: b, Relation: PartiallySatisfies, Strength: 0.5},
		{From: c, To: a, Relation: Satisfies, Strength: 1},
		{From: a, To: Ref{"D", "1"}, Relation: Satisfies, Strength: 1},
	}
	got := CoverageOf([]Ref{a}, map[string]bool{"A": true, "B": true, "C": true}, ms)
	if len(got) != 3 || got[0].Via != "direct" || got[1].Via != "mapping" || got[1].Strength != 0.5 || got[2].Via != "reverse_mapping" ||
		got[2].Framework != "C" || *got[2].From != a {
		t.Fatalf("coverage: %+v", got)
	}
	// A requirement reached directly and through a weaker mapping keeps the direct path.
	got = CoverageOf([]Ref{a, b}, map[string]bool{"A": true, "B": true}, ms)
	if len(got) != 2 || got[1].Via != "direct" || got[1].Strength != 1 {
		t.Fatalf("strongest path: %+v", got)
	}
}

func TestPosture_IsAssessedOnceAnAssessmentHasAScore(t *testing.T) {
	score := 50.0
	cases := []struct {
		latest, current *PostureScore
		want            string
	}{
		{nil, nil, "unknown"},
		{nil, &PostureScore{}, "unknown"},
		{nil, &PostureScore{Score: &score}, "assessed"},
		{&PostureScore{Score: &score}, &PostureScore{}, "assessed"},
	}
	for _, c := range cases {
		p := Posture{LatestCompleted: c.latest, Current: c.current}
		if p.Settle(); p.Status != c.want {
			t.Errorf("%+v %+v: %s, want %s", c.latest, c.current, p.Status, c.want)
		}
	}
}

func TestWriteCSV_OneLinePerRowWithFormulasDefused(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	var b bytes.Buffer
	err := WriteCSV(&b, "fw", "a1", []ExportRow{
		{RequirementID: "R1", Title: "=HYPERLINK(\"x\")", Result: "compliant", Notes: "@SUM(A1)", EvidenceIDs: []string{"e1", "e2"}, Stale: true, AssessedAt: &at},
		{RequirementID: "R2", Title: "two", Result: "not_assessed"},
	})
	want := strings.Join(ExportHeader, ",") + "\n" +
		`fw,a1,R1,"'=HYPERLINK(""x"")",compliant,true,'@SUM(A1),e1 e2,2026-01-02T02:04:05Z` + "\n" +
		"fw,a1,R2,two,not_assessed,false,,,\n"
	if err != nil || b.String() != want {
		t.Fatalf("csv:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestCensus_CountsNodesAsImported(t *testing.T) {
	f := sample()
	f.Requirements = append(f.Requirements, Requirement{ID: "C", Class: ClassControl, Title: "c", Assessable: true},
		Requirement{ID: "C.1", ParentID: "C", Class: ClassEnhancement, Title: "c1", Withdrawn: true})
	d := Imported("t1", f, "xml")
	if d.Requirements != 9 || d.Assessable != 5 || d.Withdrawn != 2 || d.Controls != 1 || d.Enhancements != 1 || d.Format != "xml" || d.TenantID != "t1" {
		t.Fatalf("census: %+v", d)
	}
}
