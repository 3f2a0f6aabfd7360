// Package openlineage validates OpenLineage run events against the published
// JSON Schema (spec 2-0-2 and the schema and column-lineage dataset facets,
// kept in spec/ with their licence) and reads what the lineage graph needs
// from them. Pure: the schemas are embedded, nothing is fetched.
package openlineage

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed spec/OpenLineage.json spec/facets/*.json
var files embed.FS

// Schema addresses.
const (
	CoreURL         = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
	coreAlias       = "https://openlineage.io/spec/1-0-2/OpenLineage.json"
	schemaFacetURL  = "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json"
	columnFacetURL  = "https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json"
	maxErrorDetails = 5
)

// ErrInvalid reports an event the schema refuses (the error names where).
var ErrInvalid = errors.New("openlineage: the event does not validate against the OpenLineage 2-0-2 schema")

// ErrNotRunEvent reports a valid job or dataset event where a run event is expected.
var ErrNotRunEvent = errors.New("openlineage: a run event (with run and job) is expected")

// embedded serves the stored schema documents by their addresses.
type embedded map[string]string

func (e embedded) Load(url string) (any, error) {
	name, ok := e[url]
	if !ok {
		return nil, fmt.Errorf("openlineage: schema %s is not stored", url)
	}
	raw, err := fs.ReadFile(files, name)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if url == coreAlias {
		// The facets' reference to the 1-0-2 core: the same document under that address.
		doc.(map[string]any)["$id"] = coreAlias
	}
	return doc, nil
}

// Validator checks run events; build it once (compiling the schemas), use it
// from any goroutine.
type Validator struct {
	core, schema, columns *jsonschema.Schema
}

// NewValidator compiles the stored schemas.
func NewValidator() (*Validator, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(embedded{CoreURL: "spec/OpenLineage.json", coreAlias: "spec/OpenLineage.json",
		schemaFacetURL: "spec/facets/SchemaDatasetFacet.json", columnFacetURL: "spec/facets/ColumnLineageDatasetFacet.json"})
	v := &Validator{}
	var err error
	if v.core, err = c.Compile(CoreURL); err != nil {
		return nil, fmt.Errorf("openlineage: core schema: %w", err)
	}
	if v.schema, err = c.Compile(schemaFacetURL); err != nil {
		return nil, fmt.Errorf("openlineage: schema facet: %w", err)
	}
	if v.columns, err = c.Compile(columnFacetURL); err != nil {
		return nil, fmt.Errorf("openlineage: column lineage facet: %w", err)
	}
	return v, nil
}

// Dataset is an input or output dataset of a run event.
type Dataset struct {
	Namespace    string                     `json:"namespace"`
	Name         string                     `json:"name"`
	Facets       map[string]json.RawMessage `json:"facets,omitempty"`
	InputFacets  map[string]json.RawMessage `json:"inputFacets,omitempty"`
	OutputFacets map[string]json.RawMessage `json:"outputFacets,omitempty"`
}

// RunEvent is what the lineage graph reads of an OpenLineage run event (the
// event itself is kept whole).
type RunEvent struct {
	EventType string    `json:"eventType"`
	EventTime time.Time `json:"eventTime"`
	Run       struct {
		RunID  string                     `json:"runId"`
		Facets map[string]json.RawMessage `json:"facets,omitempty"`
	} `json:"run"`
	Job struct {
		Namespace string                     `json:"namespace"`
		Name      string                     `json:"name"`
		Facets    map[string]json.RawMessage `json:"facets,omitempty"`
	} `json:"job"`
	Inputs    []Dataset `json:"inputs"`
	Outputs   []Dataset `json:"outputs"`
	Producer  string    `json:"producer"`
	SchemaURL string    `json:"schemaURL"`
}

// Field is one column of a dataset's schema facet.
type Field struct {
	Name        string `json:"name"`
	Type        string `json:"type,omitempty"`
	Description string `json:"description,omitempty"`
}

// InputField is one input column an output column is derived from.
type InputField struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Field     string `json:"field"`
}

// Parse validates raw against the core schema and the facets it knows
// (schema, columnLineage) and reads the run event. Anything else than a run
// event is ErrNotRunEvent; a refused document is ErrInvalid with the schema's
// first complaints.
func (v *Validator) Parse(raw []byte) (*RunEvent, error) {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: not JSON: %v", ErrInvalid, err)
	}
	if err := v.core.Validate(inst); err != nil {
		return nil, invalid("", err)
	}
	obj, _ := inst.(map[string]any)
	if _, ok := obj["run"]; !ok {
		return nil, ErrNotRunEvent
	}
	var ev RunEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	for side, list := range map[string][]Dataset{"inputs": ev.Inputs, "outputs": ev.Outputs} {
		for i, d := range list {
			for name, facet := range map[string]*jsonschema.Schema{"schema": v.schema, "columnLineage": v.columns} {
				raw, ok := d.Facets[name]
				if !ok {
					continue
				}
				f, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
				if err != nil {
					return nil, fmt.Errorf("%w: %s[%d].facets.%s: %v", ErrInvalid, side, i, name, err)
				}
				if err := facet.Validate(map[string]any{name: f}); err != nil {
					return nil, invalid(fmt.Sprintf("%s[%d].facets.", side, i), err)
				}
			}
		}
	}
	return &ev, nil
}

var english = message.NewPrinter(language.English)

// invalid renders a validation error's leaves (at most a few) after ErrInvalid.
func invalid(prefix string, err error) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(msgs) >= maxErrorDetails {
			return
		}
		if len(e.Causes) == 0 {
			msgs = append(msgs, fmt.Sprintf("at /%s%s: %s", prefix, strings.Join(e.InstanceLocation, "/"), e.ErrorKind.LocalizedString(english)))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// Fields reads a dataset's schema facet (nil when absent).
func (d Dataset) Fields() []Field {
	var f struct {
		Fields []Field `json:"fields"`
	}
	if raw, ok := d.Facets["schema"]; ok {
		_ = json.Unmarshal(raw, &f)
	}
	return f.Fields
}

// ColumnLineage reads a dataset's column-lineage facet: each output column
// with the input columns it comes from (nil when absent).
func (d Dataset) ColumnLineage() map[string][]InputField {
	var f struct {
		Fields map[string]struct {
			InputFields []InputField `json:"inputFields"`
		} `json:"fields"`
	}
	raw, ok := d.Facets["columnLineage"]
	if !ok || json.Unmarshal(raw, &f) != nil || len(f.Fields) == 0 {
		return nil
	}
	out := make(map[string][]InputField, len(f.Fields))
	for col, x := range f.Fields {
		out[col] = x.InputFields
	}
	return out
}
