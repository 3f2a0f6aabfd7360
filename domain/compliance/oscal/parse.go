// Package oscal imports OSCAL 1.x catalogs, in JSON or XML, as compliance
// frameworks. It is defensive: the size, the nesting depth, the number of XML
// tokens and the number of requirements are capped, XML document type
// declarations (and with them entity expansion) are refused, and every failure
// is an *Error naming its cause and, where it can, its position. Parsing is
// pure: a failed import returns nothing and changes nothing.
package oscal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
)

// Limits cap what the parser accepts.
type Limits struct {
	// MaxBytes is the largest document accepted.
	MaxBytes int64
	// MaxDepth is the deepest nesting of JSON objects and arrays, or of XML elements.
	MaxDepth int
	// MaxNodes is the most JSON objects and arrays, or XML elements; it bounds
	// the memory a small but dense document (a million empty controls) costs.
	MaxNodes int
	// MaxTokens is the most XML tokens (elements, text runs, comments) read.
	MaxTokens int
	// MaxRequirements is the most groups and controls kept.
	MaxRequirements int
}

// DefaultLimits fit the full NIST SP 800-53 r5 catalog (about 10 MB of JSON,
// nesting depth under 30) with room to spare: the moderate baseline (1.8 MB)
// holds 27,000 JSON objects and arrays, the CSF 2.0 XML catalog (240 kB) 2,000
// elements and 8,000 tokens.
var DefaultLimits = Limits{MaxBytes: 32 << 20, MaxDepth: 100, MaxNodes: 500_000, MaxTokens: 2_000_000, MaxRequirements: 50_000}

func (l Limits) orDefault() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultLimits.MaxDepth
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = DefaultLimits.MaxNodes
	}
	if l.MaxTokens <= 0 {
		l.MaxTokens = DefaultLimits.MaxTokens
	}
	if l.MaxRequirements <= 0 {
		l.MaxRequirements = DefaultLimits.MaxRequirements
	}
	return l
}

// Parse reads an OSCAL catalog in JSON or XML, telling them apart by the first
// significant character, and returns it as an imported framework. Zero limits
// take DefaultLimits.
func Parse(r io.Reader, lim Limits) (compliance.Framework, error) {
	lim = lim.orDefault()
	data, err := readLimited(r, lim.MaxBytes, "")
	if err != nil {
		return compliance.Framework{}, err
	}
	switch firstSignificant(data) {
	case '{', '[':
		return parseJSON(data, lim)
	case '<':
		return parseXML(data, lim)
	case 0:
		return compliance.Framework{}, fail(ErrMalformed, "", "empty document")
	default:
		return compliance.Framework{}, fail(ErrMalformed, "", "neither a JSON object nor an XML document").at(data, int64(bytes.IndexByte(data, firstSignificant(data))))
	}
}

// Sniff tells the format of the document r starts with, as Parse tells it:
// "xml" or "json", or "" when its first 512 bytes are blank. It peeks, so r
// still holds the whole document for Parse.
func Sniff(r *bufio.Reader) string {
	head, _ := r.Peek(512)
	switch firstSignificant(head) {
	case 0:
		return ""
	case '<':
		return "xml"
	}
	return "json"
}

// ParseJSON reads an OSCAL catalog in JSON.
func ParseJSON(r io.Reader, lim Limits) (compliance.Framework, error) {
	lim = lim.orDefault()
	data, err := readLimited(r, lim.MaxBytes, "json")
	if err != nil {
		return compliance.Framework{}, err
	}
	return parseJSON(data, lim)
}

// ParseXML reads an OSCAL catalog in XML.
func ParseXML(r io.Reader, lim Limits) (compliance.Framework, error) {
	lim = lim.orDefault()
	data, err := readLimited(r, lim.MaxBytes, "xml")
	if err != nil {
		return compliance.Framework{}, err
	}
	return parseXML(data, lim)
}

// readLimited reads at most max bytes, and fails as soon as there is one more:
// a 100 MB body costs at most max bytes of memory.
func readLimited(r io.Reader, max int64, format string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fail(ErrMalformed, format, "reading the document: "+err.Error())
	}
	if int64(len(data)) > max {
		return nil, fail(ErrTooLarge, format, fmt.Sprintf("more than %d bytes", max))
	}
	return data, nil
}

var bom = []byte("\xef\xbb\xbf")

// firstSignificant returns the first byte after a BOM and white space, 0 if none.
func firstSignificant(data []byte) byte {
	data = bytes.TrimPrefix(data, bom)
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c
	}
	return 0
}

// otherModels are the roots of the other OSCAL models, to say what was sent instead.
var otherModels = map[string]string{
	"profile":                       "an OSCAL profile",
	"component-definition":          "an OSCAL component definition",
	"system-security-plan":          "an OSCAL system security plan",
	"assessment-plan":               "an OSCAL assessment plan",
	"assessment-results":            "OSCAL assessment results",
	"plan-of-action-and-milestones": "an OSCAL plan of action and milestones",
	"mapping-collection":            "an OSCAL mapping collection",
}

func parseJSON(data []byte, lim Limits) (compliance.Framework, error) {
	data = bytes.TrimPrefix(data, bom)
	if firstSignificant(data) == 0 {
		return compliance.Framework{}, fail(ErrMalformed, "json", "empty document")
	}
	// Depth and size of the tree first, on the raw bytes: the decoder must
	// never see a hostile nesting nor allocate for a hostile number of nodes.
	if err := checkJSONShape(data, lim.MaxDepth, lim.MaxNodes); err != nil {
		return compliance.Framework{}, err
	}
	// One pass: the catalog is decoded in place, and the roots of the other
	// OSCAL models are only noticed, to say what was sent instead.
	var root struct {
		Catalog   *catalog        `json:"catalog"`
		Profile   json.RawMessage `json:"profile"`
		Component json.RawMessage `json:"component-definition"`
		SSP       json.RawMessage `json:"system-security-plan"`
		AP        json.RawMessage `json:"assessment-plan"`
		AR        json.RawMessage `json:"assessment-results"`
		POAM      json.RawMessage `json:"plan-of-action-and-milestones"`
		Mapping   json.RawMessage `json:"mapping-collection"`
	}
	if err := json.Unmarshal(data, &root); err != nil {
		return compliance.Framework{}, jsonError(data, err)
	}
	if root.Catalog == nil {
		for _, other := range []struct {
			key string
			raw json.RawMessage
		}{{"profile", root.Profile}, {"component-definition", root.Component}, {"system-security-plan", root.SSP},
			{"assessment-plan", root.AP}, {"assessment-results", root.AR}, {"plan-of-action-and-milestones", root.POAM}, {"mapping-collection", root.Mapping}} {
			if other.raw != nil {
				return compliance.Framework{}, fail(ErrNotOSCALCatalog, "json", "this is "+otherModels[other.key]+", not a catalog")
			}
		}
		return compliance.Framework{}, fail(ErrNotOSCALCatalog, "json", `no "catalog" object at the root`)
	}
	return build(root.Catalog, "json", lim)
}

// jsonError turns a decoder error into an *Error with its position.
func jsonError(data []byte, err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fail(ErrMalformed, "json", strings.TrimPrefix(syn.Error(), "json: ")).at(data, syn.Offset)
	case errors.As(err, &typ):
		e := fail(ErrNotOSCALCatalog, "json", fmt.Sprintf("expected %s, found %s", jsonKind(typ.Type), typ.Value))
		e.Path = typ.Field
		return e.at(data, typ.Offset)
	}
	return fail(ErrMalformed, "json", err.Error())
}

// jsonKind names the JSON kind a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Map, reflect.Struct, reflect.Pointer:
		return "object"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "true or false"
	}
	return "number"
}

// checkJSONShape scans the bytes once, outside strings, counting open objects
// and arrays (depth) and all of them (nodes).
func checkJSONShape(data []byte, maxDepth, maxNodes int) error {
	depth, nodes, inString, escaped := 0, 0, false, false
	for i, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			nodes++
			if depth > maxDepth {
				return fail(ErrTooDeep, "json", fmt.Sprintf("more than %d levels of objects and arrays", maxDepth)).at(data, int64(i))
			}
			if nodes > maxNodes {
				return fail(ErrTooComplex, "json", fmt.Sprintf("more than %d objects and arrays", maxNodes)).at(data, int64(i))
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}
