package compliance

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportRow is one line of an assessment's CSV export: an assessable
// requirement of the framework, with its result or "not_assessed".
type ExportRow struct {
	RequirementID, Title, Result, Notes string
	EvidenceIDs                         []string
	Stale                               bool
	AssessedAt                          *time.Time
}

// ExportHeader is the first line of the CSV export.
var ExportHeader = []string{"framework_id", "assessment_id", "requirement_id", "title", "result", "stale", "notes", "evidence_ids", "assessed_at"}

// WriteCSV writes the CSV export of assessment id of framework frameworkID:
// the header and one line per row, in the rows' order. Text a client wrote
// (ids, titles, notes) is defused against spreadsheet formulas.
func WriteCSV(w io.Writer, frameworkID, id string, rows []ExportRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(ExportHeader)
	for _, r := range rows {
		at := ""
		if r.AssessedAt != nil {
			at = r.AssessedAt.UTC().Format(time.RFC3339)
		}
		_ = cw.Write([]string{frameworkID, id, cell(r.RequirementID), cell(r.Title), r.Result, strconv.FormatBool(r.Stale), cell(r.Notes),
			strings.Join(r.EvidenceIDs, " "), at})
	}
	cw.Flush()
	return cw.Error()
}

// cell defuses spreadsheet formulas: a cell starting with = + - @ (or a tab
// or carriage return) is prefixed with a quote, as OWASP advises for CSV.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
