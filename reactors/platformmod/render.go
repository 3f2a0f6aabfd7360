package platformmod

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/astrabastion/astra/domain/platformmod"
)

// Curve is a loss exceedance curve: the probability that the annual loss
// exceeds each loss.
type Curve struct {
	Title  string       `json:"title"`
	Points [][2]float64 `json:"points"` // (loss, probability)
}

// Document is a report's content before rendering: a summary, one table
// and the curves to chart.
type Document struct {
	Title     string         `json:"title"`
	Kind      string         `json:"kind"`
	Tenant    string         `json:"tenant_id"`
	Generated time.Time      `json:"generated_at"`
	Summary   [][2]string    `json:"summary"`
	Columns   []string       `json:"columns"`
	Rows      [][]string     `json:"rows"`
	Curves    []Curve        `json:"loss_exceedance_curves,omitempty"`
	Extra     map[string]any `json:"data,omitempty"`
}

// Render renders a document in a format: its bytes, content type and file extension.
func Render(d *Document, format string) ([]byte, string, string, error) {
	switch format {
	case platformmod.FormatJSON:
		b, err := json.MarshalIndent(d, "", "  ")
		return b, "application/json", "json", err
	case platformmod.FormatCSV:
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(d.Columns)
		for _, r := range d.Rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = defuse(c)
			}
			_ = w.Write(cells)
		}
		w.Flush()
		return buf.Bytes(), "text/csv; charset=utf-8", "csv", w.Error()
	case platformmod.FormatPDF:
		b, err := renderPDF(d)
		return b, "application/pdf", "pdf", err
	}
	return nil, "", "", platformmod.ErrInvalidReport
}

// defuse keeps a spreadsheet from reading a cell as a formula.
func defuse(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// latin renders text in the PDF core fonts' code page (cp1252).
var latin = fpdf.New("P", "mm", "A4", "").UnicodeTranslatorFromDescriptor("")

func renderPDF(d *Document) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetTitle(d.Title, true)
	pdf.SetCreator("ASTRA BASTION", true)
	pdf.SetCreationDate(d.Generated)
	pdf.SetModificationDate(d.Generated)
	pdf.SetAutoPageBreak(true, 15)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("Helvetica", "", 8)
		pdf.SetTextColor(120, 120, 120)
		pdf.CellFormat(0, 5, latin(fmt.Sprintf("ASTRA BASTION · %s · page %d", d.Title, pdf.PageNo())), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFillColor(20, 40, 80)
	pdf.Rect(0, 0, 210, 28, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont("Helvetica", "B", 18)
	pdf.SetXY(12, 8)
	pdf.CellFormat(0, 8, latin(d.Title), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetX(12)
	pdf.CellFormat(0, 6, latin("Generated "+d.Generated.Format(time.RFC3339)+" · tenant "+d.Tenant), "", 1, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.SetY(34)
	pdf.SetFont("Helvetica", "", 10)
	for _, kv := range d.Summary {
		pdf.SetFont("Helvetica", "B", 10)
		pdf.CellFormat(60, 6, latin(kv[0]), "", 0, "L", false, 0, "")
		pdf.SetFont("Helvetica", "", 10)
		pdf.CellFormat(0, 6, latin(kv[1]), "", 1, "L", false, 0, "")
	}
	pdf.Ln(3)
	// The charts come first: they are what a reader looks for.
	for i, c := range d.Curves {
		if i > 0 && i%2 == 0 {
			pdf.AddPage()
		}
		chart(pdf, c, 15, pdf.GetY()+2, 180, 95)
		pdf.SetY(pdf.GetY() + 4)
	}
	cols, rows := withoutIDs(d.Columns, d.Rows)
	table(pdf, cols, rows)
	var buf bytes.Buffer
	err := pdf.Output(&buf)
	return buf.Bytes(), err
}

// withoutIDs leaves a leading id column out of the printed table (the CSV
// and JSON keep it): a page has no room for UUIDs.
func withoutIDs(cols []string, rows [][]string) ([]string, [][]string) {
	if len(cols) < 2 || cols[0] != "id" {
		return cols, rows
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		if len(r) > 0 {
			out[i] = r[1:]
		}
	}
	return cols[1:], out
}

// table draws the rows with widths shared out by the columns' longest cells.
func table(pdf *fpdf.Fpdf, cols []string, rows [][]string) {
	if len(cols) == 0 {
		return
	}
	const width = 186.0
	weights := make([]float64, len(cols))
	for i, c := range cols {
		weights[i] = math.Min(float64(len(c)), 40)
	}
	for _, r := range rows {
		for i := range cols {
			if i < len(r) {
				weights[i] = math.Max(weights[i], math.Min(float64(len(r[i])), 40))
			}
		}
	}
	total := 0.0
	for _, w := range weights {
		total += math.Max(w, 4)
	}
	ws := make([]float64, len(cols))
	for i, w := range weights {
		ws[i] = width * math.Max(w, 4) / total
	}
	fit := func(s string, w float64) string {
		s = latin(s)
		for len(s) > 1 && pdf.GetStringWidth(s) > w-2 {
			s = s[:len(s)-1]
		}
		return s
	}
	header := func() {
		pdf.SetFont("Helvetica", "B", 8)
		pdf.SetFillColor(220, 226, 240)
		for i, c := range cols {
			pdf.CellFormat(ws[i], 6, fit(c, ws[i]), "1", 0, "L", true, 0, "")
		}
		pdf.Ln(-1)
		pdf.SetFont("Helvetica", "", 8)
	}
	pdf.SetX(12)
	header()
	for n, r := range rows {
		if pdf.GetY() > 275 {
			pdf.AddPage()
			header()
		}
		pdf.SetX(12)
		pdf.SetFillColor(246, 247, 250)
		for i := range cols {
			v := ""
			if i < len(r) {
				v = r[i]
			}
			pdf.CellFormat(ws[i], 5.5, fit(v, ws[i]), "1", 0, "L", n%2 == 1, 0, "")
		}
		pdf.Ln(-1)
	}
}

// chart draws a loss exceedance curve: loss on a log axis, the probability
// of exceeding it on a linear one, with grid lines and labels.
func chart(pdf *fpdf.Fpdf, c Curve, x, y, w, h float64) {
	pdf.SetFont("Helvetica", "B", 10)
	pdf.SetXY(x, y)
	pdf.CellFormat(w, 6, latin("Loss exceedance curve — "+c.Title), "", 1, "L", false, 0, "")
	top := y + 8
	px, py, pw, ph := x+14, top, w-18, h-20
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetLineWidth(0.2)
	pdf.Rect(px, py, pw, ph, "D")
	var pts [][2]float64
	for _, p := range c.Points {
		if p[0] > 0 {
			pts = append(pts, p)
		}
	}
	if len(pts) < 2 {
		pdf.SetXY(px, py+ph/2)
		pdf.SetFont("Helvetica", "I", 9)
		pdf.CellFormat(pw, 6, "No simulation yet", "", 0, "C", false, 0, "")
		pdf.SetY(top + h - 8)
		return
	}
	lo, hi := math.Floor(math.Log10(pts[0][0])), math.Ceil(math.Log10(pts[len(pts)-1][0]))
	if hi <= lo {
		hi = lo + 1
	}
	sx := func(loss float64) float64 { return px + pw*(math.Log10(loss)-lo)/(hi-lo) }
	sy := func(p float64) float64 { return py + ph*(1-p) }
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetDrawColor(210, 210, 210)
	for e := lo; e <= hi; e++ {
		gx := sx(math.Pow(10, e))
		pdf.Line(gx, py, gx, py+ph)
		pdf.SetXY(gx-10, py+ph+1)
		pdf.CellFormat(20, 4, money(math.Pow(10, e)), "", 0, "C", false, 0, "")
	}
	for p := 0.0; p <= 1.0001; p += 0.2 {
		gy := sy(p)
		pdf.Line(px, gy, px+pw, gy)
		pdf.SetXY(px-13, gy-2)
		pdf.CellFormat(12, 4, fmt.Sprintf("%.0f%%", p*100), "", 0, "R", false, 0, "")
	}
	pdf.SetDrawColor(200, 40, 40)
	pdf.SetLineWidth(0.6)
	for i := 1; i < len(pts); i++ {
		pdf.Line(sx(pts[i-1][0]), sy(pts[i-1][1]), sx(pts[i][0]), sy(pts[i][1]))
	}
	pdf.SetLineWidth(0.2)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetXY(px, py+ph+5)
	pdf.SetFont("Helvetica", "", 8)
	pdf.CellFormat(pw, 4, latin("Annual loss (log scale) — probability of exceeding it"), "", 0, "C", false, 0, "")
	pdf.SetY(top + h - 6)
}

func money(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("$%gB", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("$%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("$%gk", v/1e3)
	}
	return fmt.Sprintf("$%g", v)
}
