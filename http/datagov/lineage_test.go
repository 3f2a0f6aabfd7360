package datagov_test

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

type graph struct {
	Root      string `json:"root"`
	Truncated bool   `json:"truncated"`
	Graph     []struct {
		ID    string `json:"id"`
		Type  string `json:"type"`
		Depth int    `json:"depth"`
		Data  struct {
			Fields []struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"fields"`
			ColumnLineage map[string][]struct {
				Namespace string `json:"namespace"`
				Name      string `json:"name"`
				Field     string `json:"field"`
			} `json:"columnLineage"`
			LatestRun *struct {
				RunID string `json:"runId"`
				State string `json:"state"`
			} `json:"latestRun"`
		} `json:"data"`
		InEdges  []struct{ Origin, Destination string } `json:"inEdges"`
		OutEdges []struct{ Origin, Destination string } `json:"outEdges"`
	} `json:"graph"`
}

func (g graph) ids() []string {
	var out []string
	for _, n := range g.Graph {
		out = append(out, n.ID)
	}
	return out
}

func example(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../../domain/datagov/openlineage/testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDataGov_OpenLineageRunEventsBuildTheGraph(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	_, viewer := in.SignIn(t, admin, "viewer@lineage.test", "viewer")
	// An OpenLineage client authenticates with an API key, as with Marquez behind a proxy.
	key, _ := in.NewAPIKey(t, admin, "airflow", "data_gov:write")

	// The spec's examples, START then COMPLETE of one run, posted as they are.
	for _, name := range []string{"start", "complete"} {
		r := in.Do(t, http.MethodPost, api+"/lineage/events", key, example(t, name))
		if r.Status != http.StatusCreated {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		var rec struct {
			RunID, EventType, JobName string
		}
		r.Data(t, &rec)
	}
	// A downstream job reads my-output and writes a report, with column lineage.
	downstream := strings.NewReplacer(`"0176a8c2-fe01-7439-87e6-56a1a1b4029f"`, `"0176a8c2-fe01-7439-87e6-56a1a1b40300"`,
		`"name": "my-job"`, `"name": "report-job"`, `"name": "my-output",`, `"name": "my-report",`,
		`"name": "my-input", "field": "id"`, `"name": "my-output", "field": "a"`,
		`"name": "my-input", "field": "email"`, `"name": "my-output", "field": "b"`).Replace(example(t, "complete"))
	downstream = strings.Replace(downstream, `"outputs": [`, `"inputs": [{"namespace": "my-namespace", "name": "my-output"}],
  "outputs": [`, 1)
	if r := in.Do(t, http.MethodPost, api+"/lineage/events", key, downstream); r.Status != http.StatusCreated {
		t.Fatalf("downstream: %d %s", r.Status, r.Body)
	}

	// From the source dataset downstream: my-input → my-job → my-output → report-job → my-report.
	var g graph
	r := in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-input&depth=10&direction=downstream", viewer, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("lineage: %d %s", r.Status, r.Body)
	}
	r.Data(t, &g)
	want := "dataset:my-namespace:my-input,job:my-namespace:my-job,dataset:my-namespace:my-output,job:my-namespace:report-job,dataset:my-namespace:my-report"
	if strings.Join(g.ids(), ",") != want {
		t.Fatalf("downstream graph: %v", g.ids())
	}
	out := g.Graph[2]
	if len(out.Data.Fields) != 2 || out.Data.Fields[0].Name != "a" || len(out.Data.ColumnLineage["b"]) != 1 || out.Data.ColumnLineage["b"][0].Field != "email" {
		t.Fatalf("my-output facets: %+v", out.Data)
	}
	if len(out.InEdges) != 1 || out.InEdges[0].Origin != "job:my-namespace:my-job" || len(out.OutEdges) != 1 || out.OutEdges[0].Destination != "job:my-namespace:report-job" {
		t.Fatalf("my-output edges: in %+v out %+v", out.InEdges, out.OutEdges)
	}
	if job := g.Graph[1]; job.Data.LatestRun == nil || job.Data.LatestRun.State != "COMPLETE" || job.Data.LatestRun.RunID != "0176a8c2-fe01-7439-87e6-56a1a1b4029f" {
		t.Fatalf("job's latest run: %+v", g.Graph[1].Data)
	}
	if report := g.Graph[4]; report.Depth != 4 || report.Data.ColumnLineage["a"][0].Name != "my-output" {
		t.Fatalf("report: %+v", report)
	}

	// Depth caps the walk; upstream from the report reaches the source.
	in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-input&depth=2", viewer, nil).Data(t, &g)
	if len(g.Graph) != 3 {
		t.Fatalf("depth 2: %v", g.ids())
	}
	in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-report&direction=upstream", viewer, nil).Data(t, &g)
	if len(g.Graph) != 5 || g.Graph[4].ID != "dataset:my-namespace:my-input" {
		t.Fatalf("upstream: %v", g.ids())
	}
	in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=report-job&type=job&depth=1", viewer, nil).Data(t, &g)
	if strings.Join(g.ids(), ",") != "job:my-namespace:report-job,dataset:my-namespace:my-output,dataset:my-namespace:my-report" {
		t.Fatalf("from a job: %v", g.ids())
	}

	// Invalid events are refused with the schema's reasons; nothing is recorded.
	for name, body := range map[string]string{
		"run id not a uuid": strings.Replace(example(t, "start"), `"0176a8c2-fe01-7439-87e6-56a1a1b4029f"`, `"run-1"`, 1),
		"no producer":       strings.Replace(example(t, "start"), `"producer": "https://github.com/OpenLineage/OpenLineage/blob/v1-0-0/client",`, ``, 1),
		"facet without _schemaURL": strings.Replace(example(t, "complete"),
			`"_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",`, ``, 1),
		"a job event": `{"eventTime":"2024-01-01T00:00:00Z","producer":"https://x.test/p","schemaURL":"https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent","job":{"namespace":"n","name":"j"}}`,
	} {
		r := in.Do(t, http.MethodPost, api+"/lineage/events", key, body)
		if r.Status != http.StatusUnprocessableEntity || r.Problem(t).ErrorCode != "DG-011" {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if n := countEvents(t, in, "LineageRecorded"); n != 3 {
		t.Fatalf("%d LineageRecorded, want 3", n)
	}
	// The whole event is kept, _producer and _schemaURL included.
	kept := false
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.data_gov") {
		kept = kept || (ceType(m) == "com.astra.data_gov.LineageRecorded" && strings.Contains(string(m.Value), `"_schemaURL":"https://openlineage.io/spec/facets/1-0-1/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"`))
	}
	if !kept {
		t.Fatal("the recorded event lost its facets' _schemaURL")
	}

	// Denials, unknown nodes, tenant isolation.
	if r := in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=nothing", viewer, nil); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "DG-012" {
		t.Fatalf("unknown node: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-input&depth=99", viewer, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("depth beyond the cap: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/lineage?name=my-input", viewer, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("no namespace: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/lineage/events", viewer, example(t, "start")); r.Status != http.StatusForbidden {
		t.Fatalf("viewer posts lineage: %d", r.Status)
	}
	readKey, _ := in.NewAPIKey(t, admin, "reader", "data_gov:read")
	if r := in.Do(t, http.MethodPost, api+"/lineage/events", readKey, example(t, "start")); r.Status != http.StatusForbidden {
		t.Fatalf("read-only key posts lineage: %d", r.Status)
	}
	_, other := in.NewTenant(t, admin, "Juliett")
	if r := in.Do(t, http.MethodGet, api+"/lineage?namespace=my-namespace&name=my-input", other, nil); r.Status != http.StatusNotFound {
		t.Fatalf("another tenant sees the lineage: %d", r.Status)
	}
}
