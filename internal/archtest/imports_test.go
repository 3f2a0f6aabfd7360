// Package archtest holds the tests that keep the layout's import direction
// (docs/decisions/0015-import-direction.md): which layer of the module may
// import which, read from `go list` so that the compiler's view is what is
// checked, not a parse of our own.
package archtest

import (
	"bufio"
	"bytes"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// module is the import path of this repository.
const module = "github.com/astrabastion/astra"

// layer is one row of the table of decision 0015: the packages it covers
// (a path relative to the module, matched as a prefix at a '/' boundary),
// the packages of this module they may import, and the outside packages
// they must not.
type layer struct {
	name string
	// covers are the package paths of the layer ("domain" covers domain and
	// domain/...).
	covers []string
	// may are the module packages the layer may import; nil with any set
	// means every one.
	may []string
	any bool
	// never are outside import paths (prefixes) the layer must not use:
	// the infrastructure that belongs to another layer.
	never []string
}

// infrastructure is what only the layers owning Postgres, Kafka and HTTP
// serving may use.
var (
	postgres  = []string{"github.com/jackc/pgx", "database/sql"}
	kafka     = []string{"github.com/IBM/sarama", "github.com/twmb/franz-go", "github.com/ThreeDotsLabs/watermill"}
	serving   = []string{"github.com/labstack/echo", "net/http", "github.com/coder/websocket"}
	redis     = []string{"github.com/redis/go-redis"}
	allInfra  = concat(postgres, kafka, serving, redis)
	noStorage = concat(postgres, kafka)
)

// layers is the table of decision 0015 (it refines the Layout table of
// ARCHITECTURE.md). The first row that covers a package applies, so the
// more specific rows come first.
var layers = []layer{
	{name: "domain", covers: []string{"domain"}, may: []string{"domain"}, never: allInfra},
	// Commands and projections keep and read content outside the ledger
	// (uploads, imported catalogs) in the blob store, by the hash their
	// events record.
	{name: "commands", covers: []string{"commands"}, may: []string{"domain", "eventstore", "blobstore"}, never: concat(postgres, kafka, serving, redis)},
	{name: "projections", covers: []string{"projections"}, may: []string{"domain", "eventstore", "projections", "blobstore"}, never: concat(serving, redis)},
	{name: "eventstore", covers: []string{"eventstore"}, may: []string{"domain"}, never: serving},
	{name: "web", covers: []string{"web"}, may: []string{}, never: noStorage},
	// The server and the dashboard's route table reach the dashboard's
	// files; no other http package does.
	{name: "http server", covers: []string{"http/server", "http/dashboard"}, may: []string{"commands", "projections", "domain", "http", "netguard", "gateway", "web"}, never: noStorage},
	{name: "http", covers: []string{"http"}, may: []string{"commands", "projections", "domain", "http", "netguard", "gateway"}, never: noStorage},
	// Reactors that produce content (the Platform module's reports) keep it
	// in the blob store by the hash their events record, as commands do.
	{name: "reactors", covers: []string{"reactors"}, may: []string{"domain", "eventstore", "commands", "projections", "reactors", "blobstore"}, never: serving},
	// The outbound edge: reactors that speak HTTP to the outside world
	// (webhook deliveries, notification channels), through clients that
	// netguard checks; they serve nothing and use no broker.
	{name: "outbound", covers: []string{"outbound"}, may: []string{"domain", "eventstore", "commands", "projections", "reactors"},
		never: concat(kafka, redis, []string{"github.com/labstack/echo", "github.com/coder/websocket"})},
	// The gateway runtime (decision 0005) is the gateway module's edge to
	// providers: it reads its read models and records through the ledger.
	{name: "gateway runtime", covers: []string{"gateway"}, may: []string{"domain", "eventstore", "projections", "gateway", "netguard"}},
	{name: "netguard", covers: []string{"netguard"}, may: []string{}},
	// The content-addressed blob store is a file-system piece of the kit
	// that any module's commands and read side use; it knows no module.
	{name: "blobstore", covers: []string{"blobstore"}, may: []string{}, never: concat(postgres, kafka, serving, redis)},
	{name: "migrations", covers: []string{"migrations"}, may: []string{}},
	{name: "composition and tools", covers: []string{"app", "cmd", "testkit", "e2e", "bench", "internal", "sdk"}, any: true},
}

// allowed are the violations that remain, each with the decision or the
// owner that explains it. The list only shrinks: an entry that no longer
// matches a violation fails the test, so that a fixed package is struck
// from it in the same change.
var allowed = map[string]string{
	// SSO sign-in provisions the user and answers with a session in the
	// same request, so it runs IAM's user creation synchronously.
	"commands/sso → commands/iam": "decision 0015: just-in-time provisioning must exist before the sign-in answers",
}

// TestImportDirection_EveryPackageImportsOnlyWhatItsLayerMay checks every
// package of the module (its non-test imports: tests may reach anywhere)
// against the table, and reports each violation as "pkg → import".
func TestImportDirection_EveryPackageImportsOnlyWhatItsLayerMay(t *testing.T) {
	imports := listImports(t)
	var violations, unknown []string
	for pkg, deps := range imports {
		l, ok := layerOf(pkg)
		if !ok {
			unknown = append(unknown, pkg)
			continue
		}
		for _, d := range deps {
			if check(l, d) {
				violations = append(violations, short(pkg)+" → "+short(d))
			}
		}
	}
	sort.Strings(unknown)
	for _, p := range unknown {
		t.Errorf("%s: no layer covers this package; give it a row in the table (decision 0015)", p)
	}
	sort.Strings(violations)
	seen := map[string]bool{}
	for _, v := range violations {
		if _, ok := allowed[v]; ok {
			seen[v] = true
			continue
		}
		t.Errorf("import against the layer direction: %s", v)
	}
	for v := range allowed {
		if !seen[v] {
			t.Errorf("allowed exception %q no longer occurs: strike it from the list", v)
		}
	}
}

// TestImportDirection_TheCheckRefusesWhatTheTableForbids holds the checker
// itself to the table, so that a broken matcher cannot pass everything.
func TestImportDirection_TheCheckRefusesWhatTheTableForbids(t *testing.T) {
	cases := []struct {
		pkg, imp string
		bad      bool
	}{
		{"domain/risk", "@domain/events", false},
		{"domain/risk", "@eventstore", true},
		{"domain/risk", "github.com/jackc/pgx/v5", true},
		{"domain/risk", "net/http", true},
		{"domain/risk", "gonum.org/v1/gonum/stat/distuv", false},
		{"commands/risk", "@eventstore", false},
		{"commands/risk", "@projections/risk", true},
		{"projections/risk", "github.com/jackc/pgx/v5", false},
		{"projections/risk", "@http/platform", true},
		{"eventstore", "@domain/events", false},
		{"eventstore", "@projections", true},
		{"http/risk", "@commands/risk", false},
		{"http/risk", "@eventstore", true},
		{"http/risk", "github.com/IBM/sarama", true},
		{"http/risk", "github.com/jackc/pgx/v5/pgxpool", true},
		{"http/risk", "github.com/labstack/echo/v4", false},
		{"http/risk", "github.com/jackc/pgxlisten", false}, // a prefix matches at a '/' only
		{"http/risk", "@web", true},
		{"http/server", "@web", false},
		{"web", "@http/platform", true},
		{"reactors", "@commands/trust", false},
		{"reactors", "@http/ws", true},
		{"app", "@eventstore", false},
	}
	for _, c := range cases {
		l, ok := layerOf(module + "/" + c.pkg)
		if !ok {
			t.Fatalf("%s: no layer", c.pkg)
		}
		imp := c.imp
		if r, ok := strings.CutPrefix(imp, "@"); ok {
			imp = module + "/" + r
		}
		if got := check(l, imp); got != c.bad {
			t.Errorf("%s → %s: violation %v, want %v", c.pkg, c.imp, got, c.bad)
		}
	}
}

// listImports runs go list over the module: package → its non-test imports,
// both with the module prefix cut off for module packages.
func listImports(t *testing.T) map[string][]string {
	t.Helper()
	root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...")
	cmd.Dir = strings.TrimSpace(string(root))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v\n%s", err, stderr.String())
	}
	res := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		res[f[0]] = f[1:]
	}
	if len(res) < 20 {
		t.Fatalf("go list returned %d packages; expected the whole module", len(res))
	}
	return res
}

// rel cuts the module prefix; ok is false for outside packages.
func rel(path string) (string, bool) {
	if path == module {
		return "", true
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r, true
	}
	return "", false
}

// short names a module package by its path in the module.
func short(path string) string {
	if r, ok := rel(path); ok {
		return r
	}
	return path
}

// under reports whether path is prefix or below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func layerOf(pkg string) (layer, bool) {
	r, ok := rel(pkg)
	if !ok {
		return layer{}, false
	}
	for _, l := range layers {
		for _, c := range l.covers {
			if under(r, c) {
				return l, true
			}
		}
	}
	return layer{}, false
}

// check reports whether importing imp breaks l's row.
func check(l layer, imp string) bool {
	if r, ok := rel(imp); ok {
		if l.any {
			return false
		}
		for _, m := range l.may {
			if under(r, m) {
				return false
			}
		}
		return true
	}
	for _, n := range l.never {
		if under(imp, n) {
			return true
		}
	}
	return false
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
