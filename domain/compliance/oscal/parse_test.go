package oscal

import (
	"github.com/astrabastion/astra/testkit/shareddata"

	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/compliance"
)

// countJSON walks the document as generic maps, independently of the parser:
// every object in a "controls" array is a control (top level) or an
// enhancement (in a control), and it counts params, withdrawn controls and groups.
type jsonCounts struct{ controls, enhancements, params, withdrawn, groups int }

func countJSON(t *testing.T, data []byte) jsonCounts {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var c jsonCounts
	var walkControl func(m map[string]any, nested bool)
	walkControl = func(m map[string]any, nested bool) {
		if nested {
			c.enhancements++
		} else {
			c.controls++
		}
		if ps, ok := m["params"].([]any); ok {
			c.params += len(ps)
		}
		if props, ok := m["props"].([]any); ok {
			for _, p := range props {
				if pm := p.(map[string]any); pm["name"] == "status" && pm["value"] == "withdrawn" {
					c.withdrawn++
				}
			}
		}
		if cs, ok := m["controls"].([]any); ok {
			for _, x := range cs {
				walkControl(x.(map[string]any), true)
			}
		}
	}
	var walkGroup func(m map[string]any)
	walkGroup = func(m map[string]any) {
		if cs, ok := m["controls"].([]any); ok {
			for _, x := range cs {
				walkControl(x.(map[string]any), false)
			}
		}
		if gs, ok := m["groups"].([]any); ok {
			for _, x := range gs {
				c.groups++
				walkGroup(x.(map[string]any))
			}
		}
	}
	walkGroup(doc["catalog"].(map[string]any))
	return c
}

func TestParse_ImportsTheNISTBaselines(t *testing.T) {
	cases := []struct {
		file string
		want int // controls + enhancements, as data/README.md counts them
	}{
		{"nist-800-53r5-low-resolved.json", 149},
		{"nist-800-53r5-moderate-resolved.json", 287},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			data := shareddata.Read(t, "oscal/"+c.file)
			want := countJSON(t, data)
			start := time.Now()
			f, err := Parse(bytes.NewReader(data), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			got := f.CountByClass()
			params, withdrawn := 0, 0
			for _, r := range f.Requirements {
				params += len(r.Params)
				if r.Withdrawn {
					withdrawn++
				}
			}
			t.Logf("%s: %d controls + %d enhancements = %d, %d groups, %d params, %d withdrawn, parsed in %v",
				f.Name, got[compliance.ClassControl], got[compliance.ClassEnhancement], got[compliance.ClassControl]+got[compliance.ClassEnhancement],
				got[compliance.ClassGroup], params, withdrawn, took)
			if n := want.controls + want.enhancements; n != c.want {
				t.Fatalf("independent count %d, README says %d", n, c.want)
			}
			if got[compliance.ClassControl] != want.controls || got[compliance.ClassEnhancement] != want.enhancements ||
				got[compliance.ClassGroup] != want.groups || params != want.params || withdrawn != want.withdrawn {
				t.Fatalf("parser %v, %d params, %d withdrawn; independent walk %+v", got, params, withdrawn, want)
			}
			if f.Kind != compliance.KindImported || f.Version != "5.1.1+u4" || f.OSCALVersion != "1.1.2" || f.Publisher == "" {
				t.Fatalf("metadata: %+v", f)
			}
			if err := f.Validate(); err != nil {
				t.Fatal(err)
			}
			ac2, ok := f.Requirement("ac-2")
			if !ok || ac2.Label != "AC-2" || ac2.ParentID != "ac" || !ac2.Assessable || len(ac2.Params) == 0 || ac2.Description == "" {
				t.Fatalf("ac-2 = %+v", ac2)
			}
			names := map[string]bool{}
			for _, p := range ac2.Parts {
				names[p.Name] = true
			}
			for _, n := range []string{"statement", "guidance", "assessment-objective"} {
				if !names[n] {
					t.Fatalf("ac-2 lost its %s part: %v", n, names)
				}
			}
			enh, ok := f.Requirement("ac-2.1")
			if c.want == 287 && (!ok || enh.Class != compliance.ClassEnhancement || enh.ParentID != "ac-2" || enh.Label != "AC-2(1)") {
				t.Fatalf("ac-2.1 = %+v", enh)
			}
		})
	}
}

func TestParse_ImportsTheCSF2CatalogInXML(t *testing.T) {
	data := shareddata.Read(t, "oscal/"+"nist-csf-2.0-catalog.xml")
	f, err := Parse(bytes.NewReader(data), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := f.CountByClass()
	// The document holds the 6 functions, and with the 22 categories and 106
	// subcategories of CSF 2.0 also 12 categories and 79 subcategories left
	// over from CSF 1.1, without a withdrawn mark (data/README.md). The import
	// keeps what the document says.
	if got[compliance.ClassFunction] != 6 || got[compliance.ClassCategory] != 34 || got[compliance.ClassSubcategory] != 185 {
		t.Fatalf("counts %v, want 6 functions, 34 categories, 185 subcategories", got)
	}
	if f.Name != "NIST Cybersecurity Framework 2.0" || f.OSCALVersion != "v1.1.3" || f.Publisher == "" || f.Source == "" {
		t.Fatalf("metadata: name %q oscal %q publisher %q source %q", f.Name, f.OSCALVersion, f.Publisher, f.Source)
	}
	sub, ok := f.Requirement("GV.OC-01")
	if !ok || sub.ParentID != "GV.OC" || !sub.Assessable || !strings.Contains(sub.Description, "mission") {
		t.Fatalf("GV.OC-01 = %+v", sub)
	}
	cat, _ := f.Requirement("GV.OC")
	fn, _ := f.Requirement("GV")
	if cat.Assessable || fn.Assessable || cat.ParentID != "GV" {
		t.Fatalf("functions and categories are headings: %+v / %+v", fn, cat)
	}
	t.Logf("%s: %v", f.Name, got)
}

// minimal builds a small catalog in JSON; body is spliced into the catalog object.
func minimalJSON(version, body string) string {
	return `{"catalog":{"uuid":"11111111-2222-4333-8444-555555555555","metadata":{"title":"Tiny","version":"1","oscal-version":"` + version + `"},` + body + `}}`
}

const tinyControls = `"groups":[{"id":"g","title":"G","controls":[
	{"id":"c-1","title":"One","params":[{"id":"c-1_prm","label":"how often","select":{"how-many":"one","choice":["daily","weekly"]}}],
	 "parts":[{"id":"c-1_smt","name":"statement","prose":"Do {{ insert: param, c-1_prm }}."},{"name":"guidance","prose":"Because."}],
	 "controls":[{"id":"c-1.1","title":"One more","parts":[{"name":"statement","prose":"More."}]}]},
	{"id":"c-2","title":"Two","props":[{"name":"status","value":"withdrawn"}]}]}]`

const tinyXML = `<?xml version="1.0" encoding="UTF-8"?>
<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="11111111-2222-4333-8444-555555555555">
  <metadata><title>Tiny</title><version>1</version><oscal-version>1.1.2</oscal-version></metadata>
  <group id="g"><title>G</title>
    <control id="c-1"><title>One</title>
      <param id="c-1_prm"><label>how often</label><select how-many="one"><choice>daily</choice><choice>weekly</choice></select></param>
      <part id="c-1_smt" name="statement"><p>Do <insert type="param" id-ref="c-1_prm"/>.</p></part>
      <part name="guidance"><p>Because.</p></part>
      <control id="c-1.1"><title>One more</title><part name="statement"><p>More.</p></part></control>
    </control>
    <control id="c-2"><title>Two</title><prop name="status" value="withdrawn"/></control>
  </group>
</catalog>`

func TestParse_KeepsTheTreeInBothFormats(t *testing.T) {
	for _, doc := range []struct{ name, body string }{{"json", minimalJSON("1.1.2", tinyControls)}, {"xml", tinyXML}} {
		t.Run(doc.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(doc.body), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want := []struct {
				id, parent string
				class      compliance.Class
				assessable bool
				withdrawn  bool
			}{
				{"g", "", compliance.ClassGroup, false, false},
				{"c-1", "g", compliance.ClassControl, true, false},
				{"c-1.1", "c-1", compliance.ClassEnhancement, true, false},
				{"c-2", "g", compliance.ClassControl, false, true},
			}
			if len(f.Requirements) != len(want) {
				t.Fatalf("%d requirements: %+v", len(f.Requirements), f.Requirements)
			}
			for i, w := range want {
				r := f.Requirements[i]
				if r.ID != w.id || r.ParentID != w.parent || r.Class != w.class || r.Assessable != w.assessable || r.Withdrawn != w.withdrawn {
					t.Fatalf("requirement %d = %+v, want %+v", i, r, w)
				}
			}
			c1 := f.Requirements[1]
			if c1.Description != "Do {{ insert: param, c-1_prm }}." || len(c1.Parts) != 2 || c1.Parts[1].Name != "guidance" || c1.Parts[1].Prose != "Because." {
				t.Fatalf("c-1 statement and parts: %q %+v", c1.Description, c1.Parts)
			}
			if len(c1.Params) != 1 || c1.Params[0].Label != "how often" || c1.Params[0].Select == nil || len(c1.Params[0].Select.Choices) != 2 {
				t.Fatalf("c-1 params: %+v", c1.Params)
			}
			if f.ID != "oscal-tiny-1" || f.DocumentUUID == "" {
				t.Fatalf("id %q uuid %q", f.ID, f.DocumentUUID)
			}
		})
	}
}

// endless yields an opening that looks like a catalog and then spaces forever.
type endless struct{ head []byte }

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.head)
	e.head = e.head[n:]
	for i := n; i < len(p); i++ {
		p[i] = ' '
	}
	return len(p), nil
}

// sized yields exactly n bytes: an opening, then spaces.
func sized(head string, n int64) *bytes.Reader {
	b := bytes.Repeat([]byte{' '}, int(n))
	copy(b, head)
	return bytes.NewReader(b)
}

func TestParse_RefusesHostileAndWrongDocuments(t *testing.T) {
	const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0"><metadata><title>&lol9;</title></metadata></catalog>`
	const xxe = `<?xml version="1.0"?><!DOCTYPE catalog [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0"><metadata><title>&xxe;</title></metadata></catalog>`
	const external = `<?xml version="1.0"?><!DOCTYPE catalog SYSTEM "http://example.com/evil.dtd"><catalog/>`
	deepJSON := strings.Repeat(`{"groups":[`, 5000) + strings.Repeat(`]}`, 5000)
	deepXML := `<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0">` + strings.Repeat("<group>", 10_000) + strings.Repeat("</group>", 10_000) + `</catalog>`
	cases := []struct {
		name string
		doc  func() *bytes.Reader
		read func() (compliance.Framework, error)
		want error
		line int    // expected line of the error, 0 = not checked
		says string // expected part of the message, "" = not checked
	}{
		{name: "billion laughs", doc: str(billionLaughs), want: ErrEntityDeclaration, line: 7},
		{name: "external entity (XXE)", doc: str(xxe), want: ErrEntityDeclaration, line: 1},
		{name: "external DTD", doc: str(external), want: ErrDTD},
		{name: "undeclared entity", doc: str(`<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0"><metadata><title>&lol;</title></metadata></catalog>`), want: ErrMalformed, line: 1},
		{name: "100 MB body", read: func() (compliance.Framework, error) {
			return Parse(&endless{head: []byte(`{"catalog":{"metadata":{"title":"`)}, Limits{})
		}, want: ErrTooLarge},
		{name: "body one byte over a small limit", read: func() (compliance.Framework, error) {
			return Parse(sized(`{"catalog":{}}`, 1025), Limits{MaxBytes: 1024})
		}, want: ErrTooLarge},
		{name: "10,000 levels of JSON", doc: str(deepJSON), want: ErrTooDeep, line: 1},
		{name: "10,000 levels of XML", doc: str(deepXML), want: ErrTooDeep, line: 1},
		{name: "too many XML tokens", read: func() (compliance.Framework, error) {
			return Parse(strings.NewReader(`<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0">`+strings.Repeat("<x/>", 1000)+`</catalog>`), Limits{MaxTokens: 500})
		}, want: ErrTooComplex},
		{name: "a million empty controls (JSON)", doc: str(minimalJSON("1.1.2", `"controls":[`+strings.Repeat("{},", 1_000_000)+`{}]`)), want: ErrTooComplex, line: 1},
		{name: "more elements than allowed (XML)", read: func() (compliance.Framework, error) {
			doc := `<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0">` + strings.Repeat("<control/>", 20_000) + `</catalog>`
			return Parse(strings.NewReader(doc), Limits{MaxNodes: 10_000})
		}, want: ErrTooComplex, line: 1},
		{name: "an OSCAL profile (JSON)", doc: str(`{"profile":{"uuid":"x","metadata":{"title":"P","oscal-version":"1.1.2"},"imports":[]}}`), want: ErrNotOSCALCatalog, says: "OSCAL profile"},
		{name: "an OSCAL SSP (JSON)", doc: str(`{"system-security-plan":{"uuid":"x"}}`), want: ErrNotOSCALCatalog, says: "system security plan"},
		{name: "an OSCAL profile (XML)", doc: str(`<profile xmlns="http://csrc.nist.gov/ns/oscal/1.0"><metadata/></profile>`), want: ErrNotOSCALCatalog, says: "OSCAL profile"},
		{name: "another JSON document", doc: str(`{"openapi":"3.1.0"}`), want: ErrNotOSCALCatalog, says: `no "catalog"`},
		{name: "JSON null", doc: str(`null`), want: ErrMalformed, says: "neither a JSON object nor an XML document"},
		{name: "a catalog outside the OSCAL namespace", doc: str(`<catalog><metadata><title>x</title></metadata></catalog>`), want: ErrNotOSCALCatalog},
		{name: "a JSON array", doc: str(`[1,2,3]`), want: ErrNotOSCALCatalog, line: 1},
		{name: "controls of the wrong type", doc: str(minimalJSON("1.1.2", `"controls":"none"`)), want: ErrNotOSCALCatalog, line: 1},
		{name: "catalog without metadata", doc: str(`{"catalog":{"uuid":"x","controls":[]}}`), want: ErrNotOSCALCatalog},
		{name: "OSCAL 2", doc: str(minimalJSON("2.0.0", tinyControls)), want: ErrUnsupportedVersion},
		{name: "OSCAL 1.0 pre-release", doc: str(minimalJSON("1.0.0-rc1", tinyControls)), want: nil},
		{name: "no controls", doc: str(minimalJSON("1.1.2", `"groups":[{"id":"g","title":"G"}]`)), want: ErrInvalidCatalog},
		{name: "duplicate control id", doc: str(minimalJSON("1.1.2", `"controls":[{"id":"a","title":"A"},{"id":"a","title":"B"}]`)), want: ErrInvalidCatalog},
		{name: "control without id", doc: str(minimalJSON("1.1.2", `"controls":[{"title":"A"}]`)), want: ErrInvalidCatalog},
		{name: "empty", doc: str(""), want: ErrMalformed},
		{name: "only white space", doc: str(" \n\t "), want: ErrMalformed},
		{name: "neither JSON nor XML", doc: str("title: catalog\n"), want: ErrMalformed, line: 1},
		{name: "truncated JSON", doc: str(minimalJSON("1.1.2", tinyControls)[:200]), want: ErrMalformed},
		{name: "truncated XML", doc: str(tinyXML[:300]), want: ErrMalformed},
		{name: "JSON syntax error on line 3", doc: str("{\"catalog\":\n{\"metadata\":\n{\"title\" \"x\"}}}"), want: ErrMalformed, line: 3},
		{name: "XML mismatched tag on line 2", doc: str("<catalog xmlns=\"http://csrc.nist.gov/ns/oscal/1.0\">\n<metadata></title></catalog>"), want: ErrMalformed, line: 2},
		{name: "XML in another encoding", doc: str(`<?xml version="1.0" encoding="ISO-8859-1"?><catalog/>`), want: ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.read == nil {
				c.read = func() (compliance.Framework, error) { return Parse(c.doc(), Limits{}) }
			}
			f, err := c.read()
			if c.want == nil {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T is not an *oscal.Error", err)
			}
			if c.line != 0 && e.Line != c.line {
				t.Fatalf("error at line %d, want %d: %v", e.Line, c.line, err)
			}
			if c.says != "" && !strings.Contains(err.Error(), c.says) {
				t.Fatalf("%q does not say %q", err, c.says)
			}
			if f.ID != "" || f.Requirements != nil {
				t.Fatalf("a failed import must return nothing, got %+v", f)
			}
			t.Log(err)
		})
	}
}

func str(s string) func() *bytes.Reader {
	return func() *bytes.Reader { return bytes.NewReader([]byte(s)) }
}

func TestParseJSONAndXML_RefuseTheOtherFormat(t *testing.T) {
	if _, err := ParseJSON(strings.NewReader(tinyXML), Limits{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ParseJSON(xml) = %v", err)
	}
	if _, err := ParseXML(strings.NewReader(minimalJSON("1.1.2", tinyControls)), Limits{}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("ParseXML(json) = %v", err)
	}
}

func BenchmarkParse_Moderate(b *testing.B) {
	data := shareddata.Read(b, "oscal/"+"nist-800-53r5-moderate-resolved.json")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse_CSF2XML(b *testing.B) {
	data := shareddata.Read(b, "oscal/"+"nist-csf-2.0-catalog.xml")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}
