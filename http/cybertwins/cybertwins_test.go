package cybertwins_test

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

const api = "/api/v1/cybertwins"

type asset struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Criticality int      `json:"criticality"`
	Tags        []string `json:"tags"`
	EntryPoint  bool     `json:"entry_point"`
	CrownJewel  bool     `json:"crown_jewel"`
	Ref         string   `json:"ref"`
}

type path struct {
	Assets      []string `json:"assets"`
	Probability float64  `json:"probability"`
	Links       []struct {
		Source, Target, Type string
		Exploitability       float64
	} `json:"links"`
}

type computation struct {
	ID           string `json:"id"`
	GraphVersion int64  `json:"graph_version"`
	Paths        []path `json:"paths"`
	Critical     []struct {
		Source string `json:"source"`
		Target string `json:"target"`
		Paths  int    `json:"paths"`
		InCut  bool   `json:"in_cut"`
	} `json:"critical_links"`
	At *time.Time `json:"at"`
}

type node struct {
	ID    string `json:"id"`
	Depth int    `json:"depth"`
	Links []struct {
		Target string `json:"target"`
		Type   string `json:"type"`
	} `json:"links"`
}

// config is testkit's with the ATLAS catalogue read from the shared data.
func config(t *testing.T) *app.Config {
	cfg := testkit.Config(t)
	cfg.ATLASFile = filepath.Join(testkit.ModuleRoot(t), "..", "shared", "data", "atlas", "ATLAS.yaml")
	return &cfg
}

func ceTypes(t *testing.T, in *testkit.Instance) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, m := range testkit.KafkaRecords(t, []string{in.BrokerAddr()}, "astra.cybertwins") {
		for _, h := range m.Headers {
			if string(h.Key) == "ce_type" {
				out[strings.TrimPrefix(string(h.Value), "com.astra.cybertwins.")]++
			}
		}
	}
	return out
}

var _ = sarama.ConsumerMessage{}

func addAsset(t *testing.T, in *testkit.Instance, token string, body map[string]any) asset {
	t.Helper()
	r := in.Do(t, http.MethodPost, api+"/assets", token, body)
	if r.Status != http.StatusCreated || r.Header.Get("Location") == "" {
		t.Fatalf("add asset %v: %d %s", body, r.Status, r.Body)
	}
	var a asset
	r.Data(t, &a)
	return a
}

func link(t *testing.T, in *testkit.Instance, token, source, target, typ string, p float64) {
	t.Helper()
	if r := in.Do(t, http.MethodPost, api+"/relationships", token, map[string]any{"source": source, "target": target, "type": typ, "exploitability": p}); r.Status != http.StatusCreated {
		t.Fatalf("link %s → %s: %d %s", source, target, r.Status, r.Body)
	}
}

func TestCyberTwins_GraphAttackPathsAndThePast(t *testing.T) {
	in := testkit.Start(t, config(t))
	admin := in.AdminToken(t)
	_, viewer := in.SignIn(t, admin, "viewer@ct.test", "viewer")

	// The twin: a public agent reaches a customer database two ways.
	web := addAsset(t, in, admin, map[string]any{"name": "support-bot", "type": "agent", "criticality": 3, "entry_point": true, "tags": []string{"public", "llm"}})
	svc := addAsset(t, in, admin, map[string]any{"name": "orders-api", "type": "service", "criticality": 4})
	key := addAsset(t, in, admin, map[string]any{"name": "svc-key", "type": "api_key"})
	db := addAsset(t, in, admin, map[string]any{"name": "customers", "type": "dataset", "criticality": 5, "crown_jewel": true})
	if web.Criticality != 3 || key.Criticality != 3 || !web.EntryPoint || strings.Join(web.Tags, ",") != "llm,public" {
		t.Fatalf("assets: %+v %+v", web, key)
	}
	link(t, in, admin, web.ID, svc.ID, "calls", 0.9)
	link(t, in, admin, svc.ID, db.ID, "has_access", 0.5)
	link(t, in, admin, web.ID, key.ID, "has_access", 0.3)
	link(t, in, admin, key.ID, db.ID, "has_access", 0.8)

	var c computation
	r := in.Do(t, http.MethodPost, api+"/attack-paths", viewer, map[string]any{"k": 5})
	if r.Status != http.StatusForbidden {
		t.Fatalf("viewer computes: %d", r.Status)
	}
	r = in.Do(t, http.MethodPost, api+"/attack-paths", admin, map[string]any{"k": 5})
	if r.Status != http.StatusCreated {
		t.Fatalf("attack paths: %d %s", r.Status, r.Body)
	}
	r.Data(t, &c)
	if len(c.Paths) != 2 || math.Abs(c.Paths[0].Probability-0.45) > 1e-9 || math.Abs(c.Paths[1].Probability-0.24) > 1e-9 ||
		strings.Join(c.Paths[0].Assets, ",") != web.ID+","+svc.ID+","+db.ID {
		t.Fatalf("paths: %+v", c.Paths)
	}
	before := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)

	// Cutting the most likely path: the key is the way left.
	if r := in.Do(t, http.MethodDelete, api+"/relationships", admin, map[string]any{"source": svc.ID, "target": db.ID, "type": "has_access"}); r.Status != http.StatusNoContent {
		t.Fatalf("unlink: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodDelete, api+"/relationships", admin, map[string]any{"source": svc.ID, "target": db.ID, "type": "has_access"}); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "CT-003" {
		t.Fatalf("unlink twice: %d %s", r.Status, r.Body)
	}
	var now computation
	in.Do(t, http.MethodPost, api+"/attack-paths", admin, map[string]any{"k": 5, "sources": []string{web.ID}, "targets": []string{db.ID}}).Data(t, &now)
	if len(now.Paths) != 1 || math.Abs(now.Paths[0].Probability-0.24) > 1e-9 {
		t.Fatalf("paths after the cut: %+v", now.Paths)
	}
	// The graph as it stood before the cut still has both.
	var then computation
	r = in.Do(t, http.MethodPost, api+"/attack-paths", admin, map[string]any{"k": 5, "at": before})
	r.Data(t, &then)
	if r.Status != http.StatusCreated || len(then.Paths) != 2 || then.At == nil || then.GraphVersion >= now.GraphVersion {
		t.Fatalf("paths at %v: %d %+v (now v%d)", before, r.Status, then, now.GraphVersion)
	}
	// Recorded: read back, listed, and listed as of before the cut.
	var got computation
	in.Do(t, http.MethodGet, api+"/attack-paths/"+c.ID, viewer, nil).Data(t, &got)
	if len(got.Paths) != 2 || got.Paths[0].Links[0].Type != "calls" {
		t.Fatalf("recorded: %+v", got)
	}
	items, pages := testkit.Walk[computation](t, in, api+"/attack-paths?limit=2", viewer)
	if len(items) != 3 || testkit.SameTotal(t, "computations", pages) != 3 {
		t.Fatalf("%d computations", len(items))
	}
	if p := testkit.GetPage[computation](t, in, api+"/attack-paths?before="+before.Format(time.RFC3339Nano), viewer); len(p.Data) != 2 {
		t.Fatalf("computations of the graph before the cut: %d", len(p.Data))
	}

	// Graph queries: neighbourhood by depth and direction, filters, pages.
	nodes, _ := testkit.Walk[node](t, in, api+"/graph?root="+web.ID+"&depth=1&direction=out&limit=1", viewer)
	if len(nodes) != 3 || nodes[0].ID != web.ID || nodes[0].Depth != 0 || len(nodes[0].Links) != 2 {
		t.Fatalf("depth 1 out of the agent: %+v", nodes)
	}
	nodes, _ = testkit.Walk[node](t, in, api+"/graph?root="+db.ID+"&depth=2&direction=in", viewer)
	if len(nodes) != 3 {
		t.Fatalf("depth 2 into the dataset: %+v", nodes)
	}
	if p := testkit.GetPage[node](t, in, api+"/graph?crown_jewel=true", viewer); len(p.Data) != 1 || p.Data[0].ID != db.ID {
		t.Fatalf("crown jewels: %+v", p.Data)
	}
	if r := in.Do(t, http.MethodGet, api+"/graph?root="+web.ID+"&depth=9", viewer, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("depth 9: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/graph?direction=sideways", viewer, nil); r.Status != http.StatusBadRequest {
		t.Fatalf("bad direction: %d", r.Status)
	}

	// Assets: update, filters, removal with its relationships.
	var upd asset
	r = in.Do(t, http.MethodPatch, api+"/assets/"+key.ID, admin, map[string]any{"criticality": 5, "tags": []string{"rotate"}})
	r.Data(t, &upd)
	if r.Status != http.StatusOK || upd.Criticality != 5 || upd.Name != "svc-key" {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if p := testkit.GetPage[asset](t, in, api+"/assets?min_criticality=5", viewer); len(p.Data) != 2 {
		t.Fatalf("critical assets: %d", len(p.Data))
	}
	// Relationships arriving at an asset, by target (and type).
	if p := testkit.GetPage[struct{ Source string }](t, in, api+"/relationships?target="+db.ID, viewer); len(p.Data) != 1 || p.Data[0].Source != key.ID {
		t.Fatalf("relationships into the dataset: %+v", p.Data)
	}
	if p := testkit.GetPage[struct{ Source string }](t, in, api+"/relationships?target="+key.ID+"&type=calls", viewer); len(p.Data) != 0 {
		t.Fatalf("calls into the key: %+v", p.Data)
	}
	for _, q := range []string{"target=customers", "source=" + strings.ToUpper(web.ID) + "x"} {
		if r := in.Do(t, http.MethodGet, api+"/relationships?"+q, viewer, nil); r.Status != http.StatusBadRequest || r.Problem(t).ErrorCode != "VAL-005" {
			t.Fatalf("relationships?%s: %d %s", q, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodDelete, api+"/assets/"+key.ID, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("remove: %d %s", r.Status, r.Body)
	}
	// Its links both ways went with it.
	if p := testkit.GetPage[struct{ Source, Target string }](t, in, api+"/relationships", viewer); len(p.Data) != 1 || p.Data[0].Source != web.ID || p.Data[0].Target != svc.ID {
		t.Fatalf("relationships left: %+v", p.Data)
	}
	if p := testkit.GetPage[struct{ Source string }](t, in, api+"/relationships?source="+web.ID, viewer); len(p.Data) != 1 {
		t.Fatalf("relationships left from the agent: %+v", p.Data)
	}
	if r := in.Do(t, http.MethodGet, api+"/assets/"+key.ID, viewer, nil); r.Status != http.StatusNotFound || r.Problem(t).ErrorCode != "CT-001" {
		t.Fatalf("removed asset: %d", r.Status)
	}

	// Bad input: precise problems, nothing recorded.
	for name, c := range map[string]struct {
		path   string
		body   any
		status int
		code   string
	}{
		"unknown field":         {"/assets", map[string]any{"name": "x", "type": "host", "colour": "red"}, 400, "VAL-001"},
		"unknown type":          {"/assets", map[string]any{"name": "x", "type": "toaster"}, 400, "VAL-001"},
		"criticality 9":         {"/assets", map[string]any{"name": "x", "type": "host", "criticality": 9}, 400, "VAL-001"},
		"exploitability 0":      {"/relationships", map[string]any{"source": web.ID, "target": db.ID, "type": "calls", "exploitability": 0}, 400, "VAL-001"},
		"exploitability 1.5":    {"/relationships", map[string]any{"source": web.ID, "target": db.ID, "type": "calls", "exploitability": 1.5}, 400, "VAL-001"},
		"self link":             {"/relationships", map[string]any{"source": web.ID, "target": web.ID, "type": "calls", "exploitability": 0.5}, 422, "CT-004"},
		"unknown endpoint":      {"/relationships", map[string]any{"source": web.ID, "target": key.ID, "type": "calls", "exploitability": 0.5}, 404, "CT-001"},
		"k 0":                   {"/attack-paths", map[string]any{"k": 0}, 400, "VAL-001"},
		"unknown source":        {"/attack-paths", map[string]any{"k": 1, "sources": []string{key.ID}}, 422, "CT-006"},
		"future":                {"/attack-paths", map[string]any{"k": 1, "at": time.Now().Add(time.Hour)}, 422, "CT-006"},
		"unknown technique":     {"/campaigns", map[string]any{"techniques": []string{"AML.T9999"}}, 422, "CT-008"},
		"campaign without step": {"/campaigns", map[string]any{"techniques": []string{}}, 400, "VAL-001"},
	} {
		r := in.Do(t, http.MethodPost, api+c.path, admin, c.body)
		if r.Status != c.status || r.Problem(t).ErrorCode != c.code {
			t.Errorf("%s: %d %s, want %d %s", name, r.Status, r.Body, c.status, c.code)
		}
	}

	// Denial paths: a key without the module reads nothing; anonymous nothing; another tenant sees nothing.
	gwKey, _ := in.NewAPIKey(t, admin, "gw only", "gateway:read")
	for _, p := range []string{"/assets", "/assets/" + web.ID, "/graph", "/attack-paths", "/attack-paths/" + c.ID, "/relationships", "/campaigns"} {
		if r := in.Do(t, http.MethodGet, api+p, "", nil, "X-API-Key", gwKey); r.Status != http.StatusForbidden {
			t.Fatalf("key without cybertwins:read GET %s: %d", p, r.Status)
		}
		if r := in.Do(t, http.MethodGet, api+p, "", nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("anonymous GET %s: %d", p, r.Status)
		}
	}
	for _, w := range []struct{ method, path string }{{"POST", "/assets"}, {"PATCH", "/assets/" + web.ID}, {"DELETE", "/assets/" + web.ID},
		{"POST", "/relationships"}, {"DELETE", "/relationships"}, {"POST", "/campaigns"}, {"POST", "/assets/import"}} {
		if r := in.DoRaw(t, w.method, api+w.path, viewer, map[string]any{"name": "x"}); r.Status != http.StatusForbidden {
			t.Fatalf("viewer %s %s: %d", w.method, w.path, r.Status)
		}
	}
	_, other := in.NewTenant(t, admin, "Kilo")
	for _, p := range []string{"/assets/" + web.ID, "/attack-paths/" + c.ID, "/graph?root=" + web.ID} {
		if r := in.Do(t, http.MethodGet, api+p, other, nil); r.Status != http.StatusNotFound {
			t.Fatalf("cross-tenant GET %s: %d", p, r.Status)
		}
	}
	if r := in.Do(t, http.MethodPatch, api+"/assets/"+web.ID, other, map[string]any{"name": "mine"}); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant PATCH: %d", r.Status)
	}
	if r := in.Do(t, http.MethodPost, api+"/relationships", other, map[string]any{"source": web.ID, "target": db.ID, "type": "calls", "exploitability": 0.5}); r.Status != http.StatusNotFound {
		t.Fatalf("cross-tenant link: %d", r.Status)
	}
	var oc computation
	in.Do(t, http.MethodPost, api+"/attack-paths", other, map[string]any{"k": 3}).Data(t, &oc)
	if len(oc.Paths) != 0 {
		t.Fatalf("other tenant's paths: %+v", oc.Paths)
	}
	if p := testkit.GetPage[asset](t, in, api+"/assets", other); len(p.Data) != 0 {
		t.Fatalf("other tenant lists %d assets", len(p.Data))
	}

	// Every change is an event on the module's topic; the API key made above
	// is an asset of its own (added by the platform-assets reactor).
	testkit.Eventually(t, 15*time.Second, "the API key in the twin", func() bool {
		return len(testkit.GetPage[asset](t, in, api+"/assets?type=api_key", admin).Data) == 1
	})
	types := ceTypes(t, in)
	for typ, n := range map[string]int{"AssetAdded": 5, "AssetUpdated": 1, "AssetRemoved": 1, "RelationshipAdded": 4, "RelationshipRemoved": 1, "AttackPathsComputed": 4} {
		if types[typ] != n {
			t.Errorf("%d %s, want %d (%v)", types[typ], typ, n, types)
		}
	}
}

func post(t *testing.T, in *testkit.Instance, token, contentType string, body []byte) *testkit.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, in.URL+api+"/assets/import", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &testkit.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

type report struct {
	Lines         int `json:"lines"`
	Assets        int `json:"assets"`
	Relationships int `json:"relationships"`
	Rejected      int `json:"rejected"`
	Errors        []struct {
		Line  int    `json:"line"`
		Error string `json:"error"`
	} `json:"errors"`
	Chunks int `json:"chunks"`
}

func TestCyberTwins_BulkImportReportsEachRefusedLine(t *testing.T) {
	in := testkit.Start(t, config(t))
	admin := in.AdminToken(t)

	ndjson := strings.Join([]string{
		`{"id": "web", "name": "web", "type": "service", "entry_point": true}`,
		`{"id": "db", "name": "db", "type": "dataset", "crown_jewel": true, "criticality": 5}`,
		``,
		`{"kind": "relationship", "source": "web", "target": "db", "type": "connects_to", "exploitability": 0.7}`,
		`{"name": "x", "type": "toaster"}`,
		`{"source": "web", "target": "nowhere", "type": "calls", "exploitability": 0.5}`,
		`{"name": "y", "type": "host", "colour": "red"}`,
		`not json`,
		`{"source": "db", "target": "web", "type": "calls", "exploitability": 2}`,
	}, "\n")
	r := post(t, in, admin, "application/x-ndjson", []byte(ndjson))
	var rep report
	r.Data(t, &rep)
	if r.Status != http.StatusOK || rep.Lines != 8 || rep.Assets != 2 || rep.Relationships != 1 || rep.Rejected != 5 || rep.Chunks != 1 {
		t.Fatalf("ndjson: %d %s", r.Status, r.Body)
	}
	want := map[int]string{5: "type must be one of", 6: `target "nowhere" names no asset`, 7: `unknown field "colour"`, 8: "not a row", 9: "exploitability"}
	for _, e := range rep.Errors {
		if !strings.Contains(e.Error, want[e.Line]) || want[e.Line] == "" {
			t.Errorf("line %d: %q, want %q", e.Line, e.Error, want[e.Line])
		}
	}
	// Imported assets keep their key; the same key names the same asset again.
	if p := testkit.GetPage[asset](t, in, api+"/assets?crown_jewel=true", admin); len(p.Data) != 1 || p.Data[0].Ref != "db" {
		t.Fatalf("imported: %+v", p.Data)
	}
	csv := "id,name,type,criticality,tags,entry_point,crown_jewel,source,target,exploitability,kind\n" +
		"agent-1,agent one,agent,4,a;b,true,,,,,asset\n" +
		",,calls,,,,,agent-1,db,0.5,relationship\n" +
		"bad,bad,agent,seven,,,,,,,asset\n" +
		",,calls,,,,,agent-1,web,0.9,\n"
	r = post(t, in, admin, "text/csv", []byte(csv))
	r.Data(t, &rep)
	if r.Status != http.StatusOK || rep.Assets != 1 || rep.Relationships != 2 || rep.Rejected != 1 || rep.Errors[0].Line != 4 ||
		!strings.Contains(rep.Errors[0].Error, "criticality") {
		t.Fatalf("csv: %d %s", r.Status, r.Body)
	}
	// A body that names an asset or a relationship on several lines keeps
	// the last, in the read model as in the twin, and the answer waits for it.
	dup := strings.Join([]string{
		`{"id": "cache", "name": "cache v1", "type": "service"}`,
		`{"source": "cache", "target": "db", "type": "stores", "exploitability": 0.2}`,
		`{"id": "cache", "name": "cache v2", "type": "service"}`,
		`{"source": "cache", "target": "db", "type": "stores", "exploitability": 0.4}`,
	}, "\n")
	r = post(t, in, admin, "application/x-ndjson", []byte(dup))
	r.Data(t, &rep)
	if r.Status != http.StatusOK || rep.Assets != 2 || rep.Relationships != 2 || r.Header.Get("X-Astra-Consistency") != "strong" {
		t.Fatalf("repeated lines: %d %s %v", r.Status, r.Body, r.Header)
	}
	var rel []struct {
		Exploitability float64 `json:"exploitability"`
	}
	cache := testkit.GetPage[asset](t, in, api+"/assets?type=service", admin).Data
	if len(cache) != 2 || (cache[0].Name != "cache v2" && cache[1].Name != "cache v2") {
		t.Fatalf("repeated asset: %+v", cache)
	}
	in.Do(t, http.MethodGet, api+"/relationships?type=stores", admin, nil).Data(t, &rel)
	if len(rel) != 1 || rel[0].Exploitability != 0.4 {
		t.Fatalf("repeated relationship: %+v", rel)
	}
	var c computation
	in.Do(t, http.MethodPost, api+"/attack-paths", admin, map[string]any{"k": 3}).Data(t, &c)
	if len(c.Paths) != 3 || math.Abs(c.Paths[0].Probability-0.7) > 1e-9 || math.Abs(c.Paths[1].Probability-0.63) > 1e-9 {
		t.Fatalf("paths over the imported graph: %+v", c.Paths)
	}
	// A whole-body problem: an unknown column, an unknown media type, no permission.
	if r := post(t, in, admin, "text/csv", []byte("name,type,colour\nx,host,red\n")); r.Status != 422 || !strings.Contains(string(r.Body), `\"colour\"`) {
		t.Fatalf("unknown column: %d %s", r.Status, r.Body)
	}
	if r := post(t, in, admin, "text/plain", []byte("x")); r.Status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: %d %s", r.Status, r.Body)
	}
	_, viewer := in.SignIn(t, admin, "v@import.test", "viewer")
	if r := post(t, in, viewer, "text/csv", []byte(csv)); r.Status != http.StatusForbidden {
		t.Fatalf("viewer import: %d", r.Status)
	}
	if n := ceTypes(t, in)["GraphImported"]; n != 3 {
		t.Fatalf("%d GraphImported", n)
	}
	_ = fmt.Sprint
}

// TestCyberTwins_PlatformObjectsAppearAsAssets: a gateway provider and an
// AEGIS agent appear in the twin on their own, follow a rename, and leave
// with their object.
func TestCyberTwins_PlatformObjectsAppearAsAssets(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/aegis/agents", admin, map[string]any{"name": "triage-bot", "owner": "sre", "model": "mock-small", "api_key_ids": []string{}})
	if r.Status != http.StatusCreated {
		t.Fatalf("agent: %d %s", r.Status, r.Body)
	}
	var agent struct {
		ID string `json:"id"`
	}
	r.Data(t, &agent)
	find := func() *asset {
		for _, a := range testkit.GetPage[asset](t, in, api+"/assets?type=agent", admin).Data {
			if a.Ref == "aegis.agent:"+agent.ID {
				return &a
			}
		}
		return nil
	}
	testkit.Eventually(t, 15*time.Second, "the agent in the twin", func() bool { a := find(); return a != nil && a.Name == "triage-bot" })
	if r := in.Do(t, http.MethodPatch, "/api/v1/aegis/agents/"+agent.ID, admin, map[string]any{"name": "triage-bot-2"}); r.Status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 15*time.Second, "the rename in the twin", func() bool { a := find(); return a != nil && a.Name == "triage-bot-2" })
	if n := ceTypes(t, in)["AssetAdded"]; n != 1 {
		t.Fatalf("%d AssetAdded for one agent", n)
	}
}

// TestCyberTwins_ApiKeysAndMcpServersAppearAsAssets: an IAM API key and an
// AEGIS MCP server appear in the twin on their own; the server's rename
// follows it; the key leaves with its revocation and the server with its
// removal.
func TestCyberTwins_ApiKeysAndMcpServersAppearAsAssets(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.AllowPrivateURLs = []string{"loopback"}
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", admin, map[string]any{"name": "ci-deployer", "permissions": []string{"iam:read"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("api key: %d %s", r.Status, r.Body)
	}
	var issued struct {
		APIKey struct {
			ID string `json:"id"`
		} `json:"api_key"`
	}
	r.Data(t, &issued)
	key := issued.APIKey
	r = in.Do(t, http.MethodPost, "/api/v1/aegis/mcp/servers", admin, map[string]any{"name": "notes", "url": "http://127.0.0.1:9/mcp"})
	if r.Status != http.StatusCreated {
		t.Fatalf("mcp server: %d %s", r.Status, r.Body)
	}
	var srv struct {
		ID      string `json:"id"`
		Version int64  `json:"version"`
	}
	r.Data(t, &srv)
	find := func(typ, ref string) *asset {
		for _, a := range testkit.GetPage[asset](t, in, api+"/assets?type="+typ, admin).Data {
			if a.Ref == ref {
				return &a
			}
		}
		return nil
	}
	keyRef, srvRef := "iam.api_key:"+key.ID, "aegis.mcp_server:"+srv.ID
	testkit.Eventually(t, 15*time.Second, "the key and the server in the twin", func() bool {
		k, s := find("api_key", keyRef), find("mcp_server", srvRef)
		return k != nil && k.Name == "ci-deployer" && s != nil && s.Name == "notes"
	})
	req := map[string]any{"name": "notes-v2"}
	if r := in.Do(t, http.MethodPatch, "/api/v1/aegis/mcp/servers/"+srv.ID, admin, req, "If-Match", fmt.Sprintf(`"%d"`, srv.Version)); r.Status != http.StatusOK {
		t.Fatalf("rename the server: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 15*time.Second, "the rename in the twin", func() bool { s := find("mcp_server", srvRef); return s != nil && s.Name == "notes-v2" })
	if r := in.Do(t, http.MethodDelete, "/api/v1/iam/api-keys/"+key.ID, admin, nil); r.Status/100 != 2 {
		t.Fatalf("revoke the key: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodDelete, "/api/v1/aegis/mcp/servers/"+srv.ID, admin, nil); r.Status/100 != 2 {
		t.Fatalf("remove the server: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 15*time.Second, "the key and the server gone from the twin", func() bool {
		return find("api_key", keyRef) == nil && find("mcp_server", srvRef) == nil
	})
	types := ceTypes(t, in)
	if types["AssetAdded"] != 2 || types["AssetUpdated"] != 1 || types["AssetRemoved"] != 2 {
		t.Fatalf("twin events: %v", types)
	}
}
