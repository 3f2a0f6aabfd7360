package platformmod

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
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
		pdf.CellFormat(0, 6, latin(grouped(kv[1])), "", 1, "L", false, 0, "")
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

// table draws the rows under a header. Columns are as wide as their content
// (numbers are never cut: they are right-aligned at their full width, money
// with thousands separators); when the page is too narrow, the text columns
// share what is left and their cells wrap, to four lines at most.
func table(pdf *fpdf.Fpdf, cols []string, rows [][]string) {
	if len(cols) == 0 {
		return
	}
	const (
		left, width = 12.0, 186.0
		pad         = 2.0
		maxLines    = 4
	)
	fontSize := 8.0
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	numeric := make([]bool, len(cols))
	for i := range cols {
		numeric[i] = true
		for _, r := range rows {
			if v := cell(r, i); v != "" && !numberCell.MatchString(v) {
				numeric[i] = false
				break
			}
		}
	}
	shown := make([][]string, len(rows))
	for n, r := range rows {
		shown[n] = make([]string, len(cols))
		for i := range cols {
			v := cell(r, i)
			if numeric[i] {
				v = grouped(v)
			}
			shown[n][i] = latin(v)
		}
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = latin(columnLabel(c))
	}
	// A column is at least as wide as its longest heading word (and, for a
	// number, its widest value); the font shrinks until those fit the page.
	var ws, least []float64
	for size := 8.0; ; size -= 0.5 {
		fontSize = size
		ws, least = make([]float64, len(cols)), make([]float64, len(cols))
		pdf.SetFont("Helvetica", "B", size)
		for i := range cols {
			for _, word := range strings.Fields(heads[i]) {
				least[i] = math.Max(least[i], pdf.GetStringWidth(word)+pad)
			}
		}
		pdf.SetFont("Helvetica", "", size)
		for _, r := range shown {
			for i, v := range r {
				ws[i] = math.Max(ws[i], pdf.GetStringWidth(v)+pad)
				if numeric[i] {
					least[i] = math.Max(least[i], ws[i])
					continue
				}
				for _, word := range strings.Fields(v) { // a word is cut only past 20 mm
					least[i] = math.Max(least[i], math.Min(pdf.GetStringWidth(word)+pad, 20))
				}
			}
		}
		if sum(least) <= width || size <= 5.5 {
			break
		}
	}
	for i := range ws {
		ws[i] = math.Max(ws[i], least[i])
	}
	if total := sum(ws); total <= width {
		for i := range ws { // spread the room left over the columns
			ws[i] *= width / total
		}
	} else { // the text columns share the room above their least widths
		room, want := width-sum(least), total-sum(least)
		for i := range ws {
			ws[i] = least[i] + math.Max(room, 0)*(ws[i]-least[i])/want
		}
	}
	lines := func(s string, w float64) []string {
		out := pdf.SplitText(s, w) // leaves the cell margins out itself
		if len(out) > maxLines {
			out = out[:maxLines]
			last := out[maxLines-1]
			for last != "" && pdf.GetStringWidth(last+"\x85") > w-pad {
				last = last[:len(last)-1]
			}
			out[maxLines-1] = last + "\x85" // … in cp1252
		}
		if len(out) == 0 {
			out = []string{""}
		}
		return out
	}
	row := func(cells []string, fill bool, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, fontSize)
		lineH := fontSize * 0.53
		split := make([][]string, len(cells))
		height := 0
		for i, v := range cells {
			if numeric[i] && !bold {
				split[i] = []string{v}
			} else {
				split[i] = lines(v, ws[i])
			}
			height = max(height, len(split[i]))
		}
		h := float64(height)*lineH + 1.4
		if pdf.GetY()+h > 280 {
			pdf.AddPage()
		}
		x, y := left, pdf.GetY()
		for i := range cells {
			if fill {
				pdf.Rect(x, y, ws[i], h, "FD")
			} else {
				pdf.Rect(x, y, ws[i], h, "D")
			}
			align := "L"
			if numeric[i] {
				align = "R"
			}
			for k, l := range split[i] {
				pdf.SetXY(x, y+0.7+float64(k)*lineH)
				pdf.CellFormat(ws[i], lineH, l, "", 0, align, false, 0, "")
			}
			x += ws[i]
		}
		pdf.SetXY(left, y+h)
	}
	header := func() {
		pdf.SetFillColor(220, 226, 240)
		row(heads, true, true)
	}
	if pdf.GetY() > 240 { // a heading alone at the foot of a page helps nobody
		pdf.AddPage()
	}
	pdf.SetX(left)
	header()
	for n, r := range shown {
		if pdf.GetY() > 270 {
			pdf.AddPage()
			header()
		}
		pdf.SetFillColor(246, 247, 250)
		row(r, n%2 == 1, false)
	}
}

func sum(xs []float64) float64 {
	t := 0.0
	for _, x := range xs {
		t += x
	}
	return t
}

// numberCell is a cell a table right-aligns and never cuts: a count, a
// score, a percentage or an amount of money.
var numberCell = regexp.MustCompile(`^-?\$?-?[0-9][0-9,]*(\.[0-9]+)?%?$`)

// grouped writes an amount's thousands apart ($270815 → $270,815).
func grouped(v string) string {
	sign, rest := "", v
	if strings.HasPrefix(rest, "-") {
		sign, rest = "-", rest[1:]
	}
	cur := ""
	if strings.HasPrefix(rest, "$") {
		cur, rest = "$", rest[1:]
	}
	if cur == "" || strings.Contains(rest, ",") {
		return v
	}
	whole, frac, _ := strings.Cut(rest, ".")
	if frac != "" {
		frac = "." + frac
	}
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + cur + b.String() + frac
}

// columnLabel turns a column's key into a heading: mean_ale → Mean ALE.
func columnLabel(key string) string {
	words := strings.Split(key, "_")
	for i, w := range words {
		switch {
		case w == "ale" || w == "id" || w == "rto" || w == "rpo" || w == "url" || w == "sha256" || (len(w) > 1 && w[0] == 'p' && strings.Trim(w[1:], "0123456789") == ""):
			words[i] = strings.ToUpper(w)
		case i == 0 && w != "":
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
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
