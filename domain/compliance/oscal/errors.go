package oscal

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of the import, one per cause, so the HTTP edge can answer a precise
// 4xx: 413 for ErrTooLarge, 422 for the others. Every error the parser returns
// is an *Error wrapping one of these.
var (
	// ErrTooLarge: the document is bigger than Limits.MaxBytes.
	ErrTooLarge = errors.New("oscal: document too large")
	// ErrTooDeep: nesting (JSON objects and arrays, XML elements) beyond Limits.MaxDepth.
	ErrTooDeep = errors.New("oscal: document nested too deeply")
	// ErrTooComplex: more XML tokens than Limits.MaxTokens, or more requirements than Limits.MaxRequirements.
	ErrTooComplex = errors.New("oscal: document has too many elements")
	// ErrEntityDeclaration: an XML document type declaration declares entities (billion laughs, XXE).
	ErrEntityDeclaration = errors.New("oscal: XML entity declarations are not accepted")
	// ErrDTD: an XML document type declaration without entities; OSCAL never uses one.
	ErrDTD = errors.New("oscal: XML document type declarations are not accepted")
	// ErrMalformed: not well-formed JSON or XML (or empty, or neither).
	ErrMalformed = errors.New("oscal: malformed document")
	// ErrNotOSCALCatalog: well-formed, but not an OSCAL catalog (a profile, an SSP, another schema).
	ErrNotOSCALCatalog = errors.New("oscal: not an OSCAL catalog")
	// ErrUnsupportedVersion: an OSCAL catalog of a version other than 1.x.
	ErrUnsupportedVersion = errors.New("oscal: unsupported OSCAL version")
	// ErrInvalidCatalog: a catalog that breaks OSCAL rules the import relies on (missing or duplicate ids, no controls).
	ErrInvalidCatalog = errors.New("oscal: invalid catalog")
)

// Error is an import failure: its cause (one of the Err values), where in the
// document it happened when known, and what exactly was wrong.
type Error struct {
	// Err is the cause, one of the Err values of this package.
	Err error
	// Format is "json" or "xml" once known.
	Format string
	// Line and Column locate the problem (1-based), 0 when unknown.
	Line, Column int
	// Offset is the byte offset of the problem, -1 when unknown.
	Offset int64
	// Path names the place in the catalog, e.g. "catalog.groups[2].controls[0].id".
	Path string
	// Detail says what was wrong.
	Detail string
}

// Error renders the cause, the detail and the position.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	var at []string
	if e.Path != "" {
		at = append(at, "at "+e.Path)
	}
	if e.Line > 0 {
		at = append(at, fmt.Sprintf("line %d, column %d", e.Line, e.Column))
	}
	if len(at) > 0 {
		b.WriteString(" (" + strings.Join(at, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the cause, for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

func fail(cause error, format, detail string) *Error {
	return &Error{Err: cause, Format: format, Offset: -1, Detail: detail}
}

// at sets the position of e from a byte offset into data.
func (e *Error) at(data []byte, offset int64) *Error {
	if offset < 0 {
		return e
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	e.Offset = offset
	e.Line, e.Column = 1, 1
	for _, c := range data[:offset] {
		if c == '\n' {
			e.Line++
			e.Column = 1
		} else {
			e.Column++
		}
	}
	return e
}
