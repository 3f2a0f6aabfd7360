package openlineage_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/astrabastion/astra/domain/datagov/openlineage"
)

func TestParse_SpecExamplesValidateAndRead(t *testing.T) {
	v, err := openlineage.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"start", "complete"} {
		raw, err := os.ReadFile("testdata/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := v.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ev.Run.RunID != "0176a8c2-fe01-7439-87e6-56a1a1b4029f" || ev.Job.Name != "my-job" || ev.EventTime.IsZero() {
			t.Fatalf("%s: %+v", name, ev)
		}
	}
	raw, _ := os.ReadFile("testdata/complete.json")
	ev, _ := v.Parse(raw)
	out := ev.Outputs[0]
	if f := out.Fields(); len(f) != 2 || f[0].Name != "a" {
		t.Fatalf("schema facet: %+v", f)
	}
	if cl := out.ColumnLineage(); len(cl["b"]) != 1 || cl["b"][0].Field != "email" {
		t.Fatalf("column lineage: %+v", cl)
	}
}

func TestParse_RefusesWhatTheSchemaRefuses(t *testing.T) {
	v, err := openlineage.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile("testdata/complete.json")
	cases := map[string]struct {
		from, to string
		want     error
	}{
		"run id not a uuid":            {`"0176a8c2-fe01-7439-87e6-56a1a1b4029f"`, `"run-1"`, openlineage.ErrInvalid},
		"unknown event type":           {`"COMPLETE"`, `"DONE"`, openlineage.ErrInvalid},
		"facet without _producer":      {`"_producer": "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client",` + "\n          \"_schemaURL\": \"https://openlineage.io/spec/facets/1-0-0/", `"_schemaURL": "https://openlineage.io/spec/facets/1-0-0/`, openlineage.ErrInvalid},
		"column lineage without field": {`{ "namespace": "my-namespace", "name": "my-input", "field": "id" }`, `{ "namespace": "my-namespace", "name": "my-input" }`, openlineage.ErrInvalid},
		"no schemaURL": {`,
  "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"`, ``, openlineage.ErrInvalid},
	}
	for name, c := range cases {
		bad := strings.Replace(string(good), c.from, c.to, 1)
		if bad == string(good) {
			t.Fatalf("%s: the case changes nothing", name)
		}
		if _, err := v.Parse([]byte(bad)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	job := `{"eventTime":"2024-01-01T00:00:00Z","producer":"https://x.test/p","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent","job":{"namespace":"n","name":"j"}}`
	if _, err := v.Parse([]byte(job)); !errors.Is(err, openlineage.ErrNotRunEvent) {
		t.Errorf("job event: %v", err)
	}
}
