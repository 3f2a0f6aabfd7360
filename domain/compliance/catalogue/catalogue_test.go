package catalogue

import (
	"github.com/astrabastion/astra/testkit/shareddata"

	"encoding/xml"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/risk"
)

func framework(t *testing.T, id string) compliance.Framework {
	t.Helper()
	f, ok := ByID(id)
	if !ok {
		t.Fatalf("no built-in framework %q", id)
	}
	return f
}

// count counts requirements of a class; assessable counts only assessable ones.
func count(f compliance.Framework, class compliance.Class, assessableOnly bool) int {
	n := 0
	for _, r := range f.Requirements {
		if r.Class == class && (!assessableOnly || r.Assessable) {
			n++
		}
	}
	return n
}

func TestAll_EveryCatalogueIsAWellFormedTree(t *testing.T) {
	all := All()
	if len(all) != 8 {
		t.Fatalf("%d built-in frameworks, want 8", len(all))
	}
	ids := map[string]bool{}
	for _, f := range all {
		t.Run(f.ID, func(t *testing.T) {
			if ids[f.ID] {
				t.Fatalf("framework id %q used twice", f.ID)
			}
			ids[f.ID] = true
			if err := f.Validate(); err != nil {
				t.Fatal(err)
			}
			if f.Kind != compliance.KindBuiltin || f.Version == "" || f.Publisher == "" || !strings.HasPrefix(f.Source, "https://") {
				t.Fatalf("framework metadata incomplete: %+v", f)
			}
			assessable := 0
			for _, r := range f.Requirements {
				if strings.TrimSpace(r.Title) == "" || strings.TrimSpace(r.Description) == "" {
					t.Errorf("%s: empty title or description", r.ID)
				}
				if r.ID != strings.TrimSpace(r.ID) || strings.Contains(r.ID, "  ") {
					t.Errorf("%q: stray white space in id", r.ID)
				}
				for _, tag := range r.Tags {
					if !slices.Contains([]string{"provider", "deployer", "gpai-provider", "controller", "processor"}, tag) {
						t.Errorf("%s: unknown tag %q", r.ID, tag)
					}
				}
				if r.Assessable {
					assessable++
				}
				if !r.Assessable && len(f.Children(r.ID)) == 0 && r.Class != compliance.ClassPointOfFocus && r.Class != compliance.ClassArticle && r.Class != compliance.ClassAnnexPoint {
					t.Errorf("%s: a leaf that is not assessable", r.ID)
				}
			}
			if assessable == 0 {
				t.Fatal("nothing to assess")
			}
			t.Logf("%s %s: %d nodes, %d assessable, %v", f.Name, f.Version, len(f.Requirements), assessable, f.CountByClass())
		})
	}
}

func TestAll_ReturnsCopiesCallersMayChange(t *testing.T) {
	a := All()
	a[0].Requirements[0].Title = "changed"
	if All()[0].Requirements[0].Title == "changed" {
		t.Fatal("All shares its requirements between calls")
	}
}

func TestNISTAIRMF_Has4Functions19Categories72Subcategories(t *testing.T) {
	f := framework(t, NISTAIRMF)
	perFunction := map[string][2]int{"GOVERN": {6, 19}, "MAP": {5, 18}, "MEASURE": {4, 22}, "MANAGE": {4, 13}}
	if n := count(f, compliance.ClassFunction, false); n != 4 {
		t.Fatalf("%d functions", n)
	}
	if c, s := count(f, compliance.ClassCategory, false), count(f, compliance.ClassSubcategory, true); c != 19 || s != 72 {
		t.Fatalf("%d categories, %d assessable subcategories; want 19 and 72", c, s)
	}
	id := regexp.MustCompile(`^(GOVERN|MAP|MEASURE|MANAGE)( [1-9]( ?\.[0-9]{1,2})?)?$`)
	for fn, want := range perFunction {
		cats, subs := 0, 0
		for _, r := range f.Requirements {
			if !id.MatchString(r.ID) {
				t.Fatalf("identifier %q is not in the AI RMF form", r.ID)
			}
			if strings.HasPrefix(r.ID, fn+" ") {
				if r.Class == compliance.ClassCategory {
					cats++
				} else {
					subs++
					if want, _, _ := strings.Cut(r.ID, "."); r.ParentID != want {
						t.Fatalf("%s has parent %q, want %q", r.ID, r.ParentID, want)
					}
				}
			}
		}
		if cats != want[0] || subs != want[1] {
			t.Errorf("%s: %d categories, %d subcategories; want %v", fn, cats, subs, want)
		}
	}
}

func TestNISTCSF_Has6Functions22Categories106Subcategories(t *testing.T) {
	f := framework(t, NISTCSF)
	if fn, c, s := count(f, compliance.ClassFunction, false), count(f, compliance.ClassCategory, false), count(f, compliance.ClassSubcategory, true); fn != 6 || c != 22 || s != 106 {
		t.Fatalf("%d functions, %d categories, %d subcategories; want 6, 22, 106", fn, c, s)
	}
	for _, r := range f.Requirements {
		if r.Class == compliance.ClassSubcategory && !strings.HasPrefix(r.ID, r.ParentID+"-") {
			t.Errorf("%s sits under %s", r.ID, r.ParentID)
		}
	}
}

// csfXML reads the shared NIST CSF 2.0 OSCAL catalog: the ids of its
// categories and subcategories, with their statements.
func csfXML(t *testing.T) (categories, subcategories map[string]string) {
	t.Helper()
	data := shareddata.Read(t, "oscal/nist-csf-2.0-catalog.xml")
	type part struct {
		Name string `xml:"name,attr"`
		Text string `xml:",innerxml"`
	}
	type control struct {
		ID       string    `xml:"id,attr"`
		Class    string    `xml:"class,attr"`
		Title    string    `xml:"title"`
		Parts    []part    `xml:"part"`
		Controls []control `xml:"control"`
	}
	var doc struct {
		Groups []struct {
			ID       string    `xml:"id,attr"`
			Controls []control `xml:"control"`
		} `xml:"group"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	tags := regexp.MustCompile(`<[^>]+>`)
	stmt := func(c control) string {
		for _, p := range c.Parts {
			if p.Name == "statement" {
				return strings.Join(strings.Fields(tags.ReplaceAllString(p.Text, " ")), " ")
			}
		}
		return ""
	}
	categories, subcategories = map[string]string{}, map[string]string{}
	for _, g := range doc.Groups {
		for _, c := range g.Controls {
			categories[c.ID] = c.Title
			for _, s := range c.Controls {
				subcategories[s.ID] = stmt(s)
			}
		}
	}
	return categories, subcategories
}

func TestNISTCSF_MatchesTheOfficialOSCALCatalog(t *testing.T) {
	cats, subs := csfXML(t)
	f := framework(t, NISTCSF)
	for _, r := range f.Requirements {
		switch r.Class {
		case compliance.ClassCategory:
			title, ok := cats[r.ID]
			if !ok || title != r.Title {
				t.Errorf("category %s %q: the catalog has %q", r.ID, r.Title, title)
			}
		case compliance.ClassSubcategory:
			official, ok := subs[r.ID]
			if !ok {
				t.Errorf("subcategory %s is not in the catalog", r.ID)
				continue
			}
			if shared := longestSharedRun(r.Description, official); shared >= 7 {
				t.Errorf("%s: description shares %d consecutive words with the official statement; write it in our own words", r.ID, shared)
			}
		}
	}
	// The catalog also holds 12 categories and 79 subcategories of CSF 1.1
	// without a withdrawn mark (data/README.md); ours must be exactly the rest.
	if len(subs)-106 != 79 || len(cats)-22 != 12 {
		t.Fatalf("catalog has %d categories and %d subcategories; expected 22+12 and 106+79", len(cats), len(subs))
	}
}

// longestSharedRun is the length of the longest run of consecutive words two
// texts share, case and punctuation aside.
func longestSharedRun(a, b string) int {
	words := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') })
	}
	x, y := words(a), words(b)
	best := 0
	prev := make([]int, len(y)+1)
	for i := 1; i <= len(x); i++ {
		cur := make([]int, len(y)+1)
		for j := 1; j <= len(y); j++ {
			if x[i-1] == y[j-1] {
				cur[j] = prev[j-1] + 1
				best = max(best, cur[j])
			}
		}
		prev = cur
	}
	return best
}

func TestISO27001_Has93AnnexAControlsInFourThemes(t *testing.T) {
	f := framework(t, ISO27001)
	want := map[string]int{"A.5": 37, "A.6": 8, "A.7": 14, "A.8": 34}
	total := 0
	for theme, n := range want {
		got := len(f.Children(theme))
		for i, c := range f.Children(theme) {
			if wantID := theme + "." + itoa(i+1); c.ID != wantID || !c.Assessable {
				t.Fatalf("%s child %d is %s, want %s (controls are numbered without gaps)", theme, i+1, c.ID, wantID)
			}
		}
		if got != n {
			t.Errorf("%s has %d controls, want %d", theme, got, n)
		}
		total += got
	}
	if total != 93 || count(f, compliance.ClassControl, true) != 93 {
		t.Fatalf("%d controls, want 93", total)
	}
}

func TestISO42001_Has38AnnexAControlsUnderA2ToA10(t *testing.T) {
	f := framework(t, ISO42001)
	if n := count(f, compliance.ClassControl, true); n != 38 {
		t.Fatalf("%d controls, want 38", n)
	}
	want := map[string]int{"A.2": 3, "A.3": 2, "A.4": 5, "A.5": 4, "A.6.1": 2, "A.6.2": 7, "A.7": 5, "A.8": 4, "A.9": 3, "A.10": 3}
	for obj, n := range want {
		if got := len(f.Children(obj)); got != n {
			t.Errorf("%s has %d controls, want %d", obj, got, n)
		}
	}
}

func TestSOC2_HasTheCommonAndAdditionalCriteria(t *testing.T) {
	f := framework(t, SOC2)
	perSeries := map[string]int{"CC1": 5, "CC2": 3, "CC3": 4, "CC4": 2, "CC5": 3, "CC6": 8, "CC7": 5, "CC8": 1, "CC9": 2,
		"A": 3, "C": 2, "PI": 5, "P1": 1, "P2": 1, "P3": 2, "P4": 3, "P5": 2, "P6": 7, "P7": 1, "P8": 1}
	common, pof := 0, 0
	for series, n := range perSeries {
		got := 0
		for _, c := range f.Children(series) {
			if c.Class == compliance.ClassCriterion && c.Assessable {
				got++
				if strings.HasPrefix(series, "CC") {
					common++
				}
			}
		}
		if got != n {
			t.Errorf("%s has %d criteria, want %d", series, got, n)
		}
	}
	if common != 33 {
		t.Fatalf("%d common criteria, want 33 (CC1.1–CC9.2)", common)
	}
	for _, r := range f.Requirements {
		if r.Class == compliance.ClassPointOfFocus {
			pof++
			parent, _ := f.Requirement(r.ParentID)
			if r.Assessable || parent.Class != compliance.ClassCriterion || !strings.HasPrefix(r.ParentID, "CC") {
				t.Fatalf("point of focus %s: assessable %v under %s", r.ID, r.Assessable, r.ParentID)
			}
		}
	}
	for _, c := range f.Requirements {
		if c.Class == compliance.ClassCriterion && strings.HasPrefix(c.ID, "CC") && len(f.Children(c.ID)) == 0 {
			t.Errorf("%s has no points of focus", c.ID)
		}
	}
	if n := count(f, compliance.ClassCriterion, true); n != 61 {
		t.Fatalf("%d criteria, want 61 (33 common + 3 A + 2 C + 5 PI + 18 P)", n)
	}
	t.Logf("%d points of focus for CC1–CC9", pof)
}

func TestGDPR_HasArticles5To49UnderTheirChapters(t *testing.T) {
	f := framework(t, GDPR)
	chapterOf := func(n int) string {
		switch {
		case n <= 4:
			return "Chapter I"
		case n <= 11:
			return "Chapter II"
		case n <= 23:
			return "Chapter III"
		case n <= 43:
			return "Chapter IV"
		case n <= 50:
			return "Chapter V"
		}
		return "Chapter VIII"
	}
	for n := 1; n <= 50; n++ {
		r, ok := f.Requirement("Art. " + itoa(n))
		if !ok {
			t.Fatalf("Art. %d missing", n)
		}
		if r.ParentID != chapterOf(n) {
			t.Errorf("Art. %d under %s, want %s", n, r.ParentID, chapterOf(n))
		}
		wantAssessable := n >= 5 && n <= 49 && !slices.Contains([]int{23, 40, 41, 42, 43}, n)
		if r.Assessable != wantAssessable {
			t.Errorf("Art. %d assessable = %v", n, r.Assessable)
		}
	}
	for _, r := range f.Requirements {
		if r.Class == compliance.ClassArticle {
			parent, _ := f.Requirement(r.ParentID)
			if parent.Class != compliance.ClassChapter {
				t.Errorf("%s is not under a chapter", r.ID)
			}
		}
	}
}

func TestEUAIAct_CoversProviderAndDeployerObligations(t *testing.T) {
	f := framework(t, EUAIAct)
	for _, id := range []string{"Art. 4", "Art. 6", "Art. 8", "Art. 9", "Art. 10", "Art. 11", "Art. 12", "Art. 13", "Art. 14", "Art. 15",
		"Art. 16", "Art. 17", "Art. 26", "Art. 27", "Art. 43", "Art. 49", "Art. 72", "Art. 73"} {
		r, ok := f.Requirement(id)
		if !ok || !r.Assessable || len(r.Tags) == 0 {
			t.Errorf("%s missing, not assessable or untagged: %+v", id, r)
		}
	}
	for _, heading := range []struct {
		id     string
		points int
	}{{"Art. 5", 8}, {"Art. 50", 4}, {"Annex III", 8}, {"Annex IV", 9}} {
		r, ok := f.Requirement(heading.id)
		if !ok || r.Assessable {
			t.Fatalf("%s missing or assessable", heading.id)
		}
		if n := len(f.Children(heading.id)); n != heading.points {
			t.Errorf("%s has %d points, want %d", heading.id, n, heading.points)
		}
	}
	if n := count(f, compliance.ClassAnnexPoint, true); n != 9 {
		t.Errorf("%d assessable annex points, want the 9 of Annex IV", n)
	}
	deployer := 0
	for _, r := range f.Requirements {
		if slices.Contains(r.Tags, "deployer") {
			deployer++
		}
	}
	if deployer < 8 {
		t.Errorf("only %d requirements bind deployers", deployer)
	}
}

func TestOWASPLLM_IsTheRiskModulesList(t *testing.T) {
	f := framework(t, OWASPLLM)
	var want []string
	for _, th := range risk.Catalogue {
		if th.Framework == "OWASP LLM Top 10" {
			want = append(want, th.ID)
		}
	}
	var got []string
	for _, r := range f.Requirements {
		got = append(got, r.ID)
	}
	if len(got) != 10 || !slices.Equal(got, want) {
		t.Fatalf("OWASP LLM entries %v, risk catalogue %v", got, want)
	}
	for i, r := range f.Requirements {
		if r.ID != "LLM"+pad2(i+1)+":2025" || !r.Assessable {
			t.Fatalf("entry %d is %+v", i, r)
		}
	}
}

func itoa(n int) string {
	return strings.TrimLeft(pad2(n), "0")
}

func pad2(n int) string {
	return string([]byte{byte('0' + n/10), byte('0' + n%10)})
}

func TestAssess_ScoresABuiltInFrameworkPerFunction(t *testing.T) {
	f := framework(t, NISTCSF)
	results := map[string]compliance.Result{}
	for _, r := range f.Requirements {
		if r.Assessable && strings.HasPrefix(r.ID, "GV.") {
			results[r.ID] = compliance.ResultCompliant
		}
	}
	total, err := compliance.Assess(f, results)
	if err != nil {
		t.Fatal(err)
	}
	if total.Assessable != 106 || total.Compliant != 31 || total.NotAssessed != 75 {
		t.Fatalf("total %+v", total)
	}
	byNode, err := compliance.Rollup(f, results)
	if err != nil {
		t.Fatal(err)
	}
	if gv, id := byNode["GV"], byNode["ID"]; gv.Ratio != 1 || gv.Assessable != 31 || id.Ratio != 0 || id.Progress != 0 {
		t.Fatalf("GOVERN %+v, IDENTIFY %+v", gv, id)
	}
	if len(byNode) != 6+22 {
		t.Fatalf("%d headings scored, want 28", len(byNode))
	}
}
