package platformmod_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type report struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	Format   string  `json:"format"`
	Status   string  `json:"status"`
	Percent  int     `json:"percent"`
	SHA256   *string `json:"sha256"`
	Size     *int64  `json:"size"`
	FileName *string `json:"file_name"`
	Error    *string `json:"error"`
}

// finished waits for a report job to end and answers it.
func finished(t *testing.T, in *testkit.Instance, token, id string) report {
	t.Helper()
	var x report
	testkit.Eventually(t, 60*time.Second, "report "+id+" finished", func() bool {
		r := in.Do(t, http.MethodGet, api+"/reports/"+id, token, nil)
		r.Data(t, &x)
		return x.Status == "done" || x.Status == "failed"
	})
	if x.Status != "done" {
		t.Fatalf("report failed: %v", x.Error)
	}
	return x
}

func request(t *testing.T, in *testkit.Instance, token string, body map[string]any) report {
	t.Helper()
	r := in.Do(t, http.MethodPost, api+"/reports", token, body)
	if r.Status != http.StatusAccepted {
		t.Fatalf("request report: %d %s", r.Status, r.Body)
	}
	var x report
	r.Data(t, &x)
	return x
}

// download fetches a finished report and checks its bytes against the
// hash the job recorded (and the header).
func download(t *testing.T, in *testkit.Instance, token string, x report) []byte {
	t.Helper()
	r := in.DoRaw(t, http.MethodGet, api+"/reports/"+x.ID+"/download", token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("download: %d %s", r.Status, r.Body)
	}
	sum := sha256.Sum256(r.Body)
	if got := hex.EncodeToString(sum[:]); got != *x.SHA256 || r.Header.Get("X-Checksum-SHA256") != got {
		t.Fatalf("downloaded bytes hash to %s; the report recorded %s, the header says %s", got, *x.SHA256, r.Header.Get("X-Checksum-SHA256"))
	}
	return r.Body
}

// TestReports_RiskRegisterPDFWithLossExceedanceChart: a risk modelled with
// FAIR, a PDF of the register generated asynchronously with progress on the
// live stream, downloaded with a matching hash (the hash is in
// ReportGenerated), and its first page rendered to PNG.
func TestReports_RiskRegisterPDFWithLossExceedanceChart(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	for _, risk := range []struct {
		title     string
		low, high float64
		rate      float64
	}{{"Prompt injection exfiltrates customer data", 100000, 1000000, 0.3}, {"Model outage stops claims processing", 20000, 400000, 2}} {
		r := in.Do(t, http.MethodPost, "/api/v1/risk/risks", admin, map[string]any{"title": risk.title, "owner": "ciso", "likelihood": 4, "impact": 5,
			"treatment": "mitigate"})
		if r.Status != http.StatusCreated {
			t.Fatalf("risk: %d %s", r.Status, r.Body)
		}
		var x struct {
			ID string `json:"id"`
		}
		r.Data(t, &x)
		fair := map[string]any{"frequency": map[string]any{"model": "poisson", "rate": risk.rate}, "vulnerability": 1,
			"primary_loss": map[string]any{"model": "lognormal", "low": risk.low, "high": risk.high}}
		if r := in.Do(t, http.MethodPut, "/api/v1/risk/risks/"+x.ID+"/fair", admin, fair); r.Status != http.StatusOK {
			t.Fatalf("fair: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/risk/risks/"+x.ID+"/simulate", admin, map[string]any{"iterations": 20000, "seed": 3}); r.Status != http.StatusCreated {
			t.Fatalf("simulate: %d %s", r.Status, r.Body)
		}
	}
	ws := in.DialWS(t, admin)
	ws.Subscribe("", "platform.report.progress", "platform.report.generated")

	job := request(t, in, admin, map[string]any{"kind": "risk_register", "format": "pdf"})
	if job.Status != "queued" && job.Status != "running" && job.Status != "done" {
		t.Fatalf("job %+v", job)
	}
	x := finished(t, in, admin, job.ID)
	pdf := download(t, in, admin, x)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", pdf[:16])
	}
	// Progress and the hash reached the live stream.
	evs := ws.Events(10*time.Second, func(e []map[string]any) bool {
		for _, m := range e {
			if m["type"] == "com.astra.platform.ReportGenerated" {
				return true
			}
		}
		return false
	})
	progress, hashed := 0, ""
	for _, m := range evs {
		data, _ := m["data"].(map[string]any)
		switch m["type"] {
		case "com.astra.platform.ReportProgressed":
			progress++
		case "com.astra.platform.ReportGenerated":
			hashed, _ = data["sha256"].(string)
		}
	}
	if progress < 3 || hashed != *x.SHA256 {
		t.Fatalf("live stream: %d progress events, generated hash %q (want %s)", progress, hashed, *x.SHA256)
	}

	// The first page, rendered: the loss exceedance charts are on it.
	testkit.RequireTool(t, "pdftoppm")
	dir := t.TempDir()
	file := filepath.Join(dir, "register.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", file, filepath.Join(dir, "page1")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "page1.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The curve is drawn in red: count its pixels.
	red := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 > 160 && g>>8 < 110 && bl>>8 < 110 {
				red++
			}
		}
	}
	if red < 100 {
		t.Fatalf("the first page shows %d red pixels: no loss exceedance curve", red)
	}
	if keep := os.Getenv("ASTRA_KEEP_REPORT_PNG"); keep != "" {
		png1, _ := os.ReadFile(filepath.Join(dir, "page1.png"))
		_ = os.WriteFile(keep, png1, 0o600)
	}
	t.Logf("risk register PDF: %d bytes, sha256 %s, first page %dx%d with %d curve pixels", len(pdf), *x.SHA256, b.Dx(), b.Dy(), red)

	// The same register as CSV and JSON.
	c := finished(t, in, admin, request(t, in, admin, map[string]any{"kind": "risk_register", "format": "csv"}).ID)
	rows, err := csv.NewReader(bytes.NewReader(download(t, in, admin, c))).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][1] != "title" || rows[1][10] == "" {
		t.Fatalf("csv: %v %v", rows, err)
	}
	// The PDF's table prints every amount whole, thousands apart: a cell too
	// narrow once printed $270815 as $27081.
	testkit.RequireTool(t, "pdftotext")
	text, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, row := range rows[1:] {
		for _, amount := range row[10:13] {
			if want := thousands(amount); !strings.Contains(string(text), want) {
				t.Fatalf("the PDF's table lacks %s (the register's %s):\n%s", want, amount, text)
			}
		}
	}
	j := finished(t, in, admin, request(t, in, admin, map[string]any{"kind": "risk_register", "format": "json"}).ID)
	var doc struct {
		Rows   [][]string `json:"rows"`
		Curves []struct {
			Points [][2]float64 `json:"points"`
		} `json:"loss_exceedance_curves"`
	}
	if err := json.Unmarshal(download(t, in, admin, j), &doc); err != nil || len(doc.Rows) != 2 || len(doc.Curves) != 2 || len(doc.Curves[0].Points) == 0 {
		t.Fatalf("json: %+v %v", doc, err)
	}
}

func TestReports_OtherKindsRefusalsAndTenancy(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	a := finished(t, in, admin, request(t, in, admin, map[string]any{"kind": "audit_trail", "format": "csv"}).ID)
	rows, err := csv.NewReader(bytes.NewReader(download(t, in, admin, a))).ReadAll()
	if err != nil || len(rows) < 3 || rows[0][2] != "type" {
		t.Fatalf("audit csv: %v %v", len(rows), err)
	}
	found := false
	for _, r := range rows {
		found = found || r[2] == "com.astra.platform.ReportRequested"
	}
	if !found {
		t.Fatal("the audit trail lacks the report's own request")
	}
	ts := finished(t, in, admin, request(t, in, admin, map[string]any{"kind": "trust_summary", "format": "pdf"}).ID)
	if !bytes.HasPrefix(download(t, in, admin, ts), []byte("%PDF-")) {
		t.Fatal("trust summary is not a PDF")
	}
	// An assessment that does not exist: the job fails, and says why.
	r := in.Do(t, http.MethodPost, api+"/reports", admin, map[string]any{"kind": "assessment", "format": "json", "assessment_id": "0190c8a0-0000-7000-8000-000000000000"})
	var bad report
	r.Data(t, &bad)
	testkit.Eventually(t, 30*time.Second, "assessment report fails", func() bool {
		r := in.Do(t, http.MethodGet, api+"/reports/"+bad.ID, admin, nil)
		r.Data(t, &bad)
		return bad.Status == "failed"
	})
	if r := in.Do(t, http.MethodGet, api+"/reports/"+bad.ID+"/download", admin, nil); r.Status != http.StatusConflict {
		t.Fatalf("download of a failed report: %d", r.Status)
	}

	for _, c := range []struct {
		body any
		code int
		in   string
	}{
		{map[string]any{"kind": "risk_register", "format": "docx"}, 400, "format"},
		{map[string]any{"kind": "horoscope", "format": "pdf"}, 400, "kind"},
		{map[string]any{"kind": "risk_register", "format": "pdf", "pages": 3}, 400, "pages"},
		{map[string]any{"kind": "assessment", "format": "pdf"}, 422, "assessment_id"},
	} {
		r := in.Do(t, http.MethodPost, api+"/reports", admin, c.body)
		if r.Status != c.code || !strings.Contains(string(r.Body), c.in) {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	_, viewer := in.SignIn(t, admin, "viewer@reports.test", "viewer")
	if r := in.Do(t, http.MethodPost, api+"/reports", viewer, map[string]any{"kind": "audit_trail", "format": "csv"}); r.Status != http.StatusForbidden {
		t.Errorf("viewer request: %d", r.Status)
	}
	if r := in.DoRaw(t, http.MethodGet, api+"/reports/"+a.ID+"/download", viewer, nil); r.Status != http.StatusOK {
		t.Errorf("viewer download: %d", r.Status)
	}
	_, other := in.NewTenant(t, admin, "Reportsother")
	if r := in.Do(t, http.MethodGet, api+"/reports/"+a.ID, other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant read: %d", r.Status)
	}
	if r := in.Do(t, http.MethodGet, api+"/reports/"+a.ID+"/download", other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant download: %d", r.Status)
	}
	if p := testkit.GetPage[report](t, in, api+"/reports", other); len(p.Data) != 0 {
		t.Errorf("other tenant lists %d reports", len(p.Data))
	}
	rebuiltIdentical(t, in)
}

// thousands writes "$270815" as "$270,815".
func thousands(amount string) string {
	digits := strings.TrimPrefix(amount, "$")
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return "$" + b.String()
}
