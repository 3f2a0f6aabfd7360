package datagov

import (
	"fmt"
	"slices"
	"strings"
)

// LawfulBases are the GDPR Article 6 bases for processing, and
// not_applicable for data that is not personal.
var LawfulBases = []string{"consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests", "not_applicable"}

// MaxDatasetColumns bounds the columns a dataset declares.
const MaxDatasetColumns = 2000

// NewDataset decides the DatasetRegistered of d: a name, a known lawful basis
// (not_applicable when none is given), and columns with distinct names.
func NewDataset(d DatasetRegisteredV1) (*DatasetRegisteredV1, error) {
	if d.Name = strings.TrimSpace(d.Name); d.Name == "" {
		return nil, fmt.Errorf("%w: a dataset needs a name", ErrInvalidDataset)
	}
	if d.LawfulBasis == "" {
		d.LawfulBasis = "not_applicable"
	}
	if !slices.Contains(LawfulBases, d.LawfulBasis) {
		return nil, fmt.Errorf("%w: lawful_basis must be one of %s", ErrInvalidDataset, strings.Join(LawfulBases, ", "))
	}
	if len(d.Columns) > MaxDatasetColumns {
		return nil, fmt.Errorf("%w: at most %d columns", ErrInvalidDataset, MaxDatasetColumns)
	}
	seen := map[string]bool{}
	for i, c := range d.Columns {
		name := strings.TrimSpace(c.Name)
		if name == "" || seen[name] {
			return nil, fmt.Errorf("%w: column %d needs a name of its own", ErrInvalidDataset, i+1)
		}
		seen[name] = true
		d.Columns[i].Name = name
	}
	if d.Columns == nil {
		d.Columns = []Column{}
	}
	return &d, nil
}
