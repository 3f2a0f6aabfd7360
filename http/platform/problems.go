package platform

import (
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Codes are a module's error codes, registered into the Catalogue by the
// module's descriptor (see RegisterCodes).
type Codes map[string]CatalogueEntry

// DomainError maps a domain (or command) error to a catalogue code: the one
// mapper of the API. Handlers return domain errors as they are; the error
// handler finds the first mapping whose Err the error wraps.
type DomainError struct {
	Err  error
	Code string
	// Detail is what the client reads; empty means the error's own text,
	// without its "package: " prefix (for errors whose text is the detail).
	Detail string
	// Field, when set, names the input field the error is about: the problem's
	// errors[] points at it (with Message, or the detail). An error that knows
	// its field itself implements InputField() (field, message string).
	Field   string
	Message string
}

var (
	catalogueMu sync.RWMutex
	mappings    []DomainError
)

// RegisterCodes adds a module's codes to the Catalogue. A code registered
// twice with another meaning panics: codes are a public contract.
func RegisterCodes(cs Codes) {
	catalogueMu.Lock()
	defer catalogueMu.Unlock()
	for code, e := range cs {
		if old, dup := Catalogue[code]; dup && old != e {
			panic(fmt.Sprintf("platform: error code %s registered twice with different meanings", code))
		}
		Catalogue[code] = e
	}
}

// tagDescriptions describe the OpenAPI document's tags (DescribeTags).
var tagDescriptions = map[string]string{}

// DescribeTags records what each OpenAPI tag (a module's group of routes)
// is, for the document's tag list.
func DescribeTags(tags map[string]string) {
	catalogueMu.Lock()
	defer catalogueMu.Unlock()
	for name, d := range tags {
		tagDescriptions[name] = d
	}
}

// RegisterDomainErrors adds mappings from domain errors to codes. Each code
// must be in the Catalogue already.
func RegisterDomainErrors(ms ...DomainError) {
	catalogueMu.Lock()
	defer catalogueMu.Unlock()
	for _, m := range ms {
		if _, ok := Catalogue[m.Code]; !ok {
			panic(fmt.Sprintf("platform: domain error %v maps to unknown code %s", m.Err, m.Code))
		}
		for _, old := range mappings {
			if old.Err == m.Err {
				if old.Code != m.Code {
					panic(fmt.Sprintf("platform: domain error %v mapped to %s and %s", m.Err, old.Code, m.Code))
				}
			}
		}
		mappings = append(mappings, m)
	}
}

// fromDomain finds the mapping of err; nil when none applies.
func fromDomain(err error) *Error {
	catalogueMu.RLock()
	defer catalogueMu.RUnlock()
	for _, m := range mappings {
		if errors.Is(err, m.Err) {
			detail := m.Detail
			if detail == "" {
				detail = err.Error()
				if _, rest, ok := strings.Cut(detail, ": "); ok && !strings.Contains(detail[:len(detail)-len(rest)-2], " ") {
					detail = rest
				}
			}
			entry := Catalogue[m.Code]
			out := &Error{Status: entry.Status, Code: m.Code, Title: entry.Title, Detail: detail}
			var fe interface{ InputField() (string, string) }
			switch {
			case errors.As(err, &fe):
				f, msg := fe.InputField()
				out.Fields = []FieldError{{Field: f, Message: msg}}
			case m.Field != "":
				msg := m.Message
				if msg == "" {
					msg = detail
				}
				out.Fields = []FieldError{{Field: m.Field, Message: msg}}
			}
			return out
		}
	}
	return nil
}

// Entry builds a catalogue entry (module descriptors declare their codes with it).
func Entry(status int, title, description string) CatalogueEntry {
	return CatalogueEntry{Status: status, Title: title, Description: description}
}
