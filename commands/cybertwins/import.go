package cybertwins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/cybertwins"
	"github.com/astrabastion/astra/eventstore"
)

// Import formats.
const (
	FormatNDJSON = "ndjson"
	FormatCSV    = "csv"
)

// ImportChunk is how many rows one GraphImported event carries.
var ImportChunk = 5000

// MaxLineErrors bounds the line errors an import reports (the count is exact).
const MaxLineErrors = 1000

// maxLine bounds one line of an import.
const maxLine = 64 << 10

// Row is one line of an import: an asset or a relationship.
type Row struct {
	// Kind is asset or relationship; when empty, a line with a source is a relationship.
	Kind string `json:"kind"`
	// ID is the asset's key: a UUID is kept as its id, another key derives one.
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Criticality int      `json:"criticality"`
	Owner       string   `json:"owner"`
	Tags        []string `json:"tags"`
	EntryPoint  bool     `json:"entry_point"`
	CrownJewel  bool     `json:"crown_jewel"`
	// Source and Target are asset keys (ids, or the keys assets were imported under).
	Source         string  `json:"source"`
	Target         string  `json:"target"`
	Exploitability float64 `json:"exploitability"`
}

// CSVColumns are the columns a CSV import may have (a header row names them).
var CSVColumns = []string{"kind", "id", "name", "type", "criticality", "owner", "tags", "entry_point", "crown_jewel", "source", "target", "exploitability"}

// LineError is a line an import refused, and why.
type LineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// ImportReport is the outcome of an import.
type ImportReport struct {
	ImportID      string      `json:"import_id"`
	Lines         int         `json:"lines"`
	Assets        int         `json:"assets"`
	Relationships int         `json:"relationships"`
	Rejected      int         `json:"rejected"`
	Errors        []LineError `json:"errors"`
	// ErrorsTruncated is true when more lines were refused than Errors lists.
	ErrorsTruncated bool    `json:"errors_truncated"`
	Chunks          int     `json:"chunks"`
	DurationMs      float64 `json:"duration_ms"`
	RowsPerSecond   float64 `json:"rows_per_second"`
}

// Import reads an NDJSON or CSV body line by line and records its valid
// lines in chunks of ImportChunk rows (GraphImported); every refused line is
// reported with its number and reason. Relationships may name assets of the
// twin or assets of earlier lines.
func (h *Handlers) Import(ctx context.Context, meta eventstore.Metadata, format string, body io.Reader) (*ImportReport, []eventstore.Event, error) {
	start := time.Now()
	next, err := rows(format, body)
	if err != nil {
		return nil, nil, err
	}
	rep := &ImportReport{ImportID: eventstore.NewID(), Errors: []LineError{}}
	var evs []eventstore.Event
	started := false
	err = h.Twins.With(ctx, meta.TenantID, func(t *cybertwins.Twin) error {
		if started {
			// The body is read once: an import that lost a race is not retried.
			return eventstore.ErrVersionMismatch
		}
		started = true
		// The lines are read and checked while the chunks before them are
		// appended: the reader only reads the twin, which nothing changes
		// until the last chunk is recorded (the tenant's lock is held).
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		chunks := make(chan *cybertwins.GraphImportedV1, 2)
		readErr := make(chan error, 1)
		go func() {
			defer close(chunks)
			readErr <- h.readChunks(ctx, meta.TenantID, t, next, rep, chunks)
		}()
		version := t.Version
		var recorded []*cybertwins.GraphImportedV1
		var appendErr error
		for chunk := range chunks {
			if appendErr != nil {
				continue // drain
			}
			out, err := h.Store.Append(ctx, meta, eventstore.StreamAppend{StreamID: cybertwins.StreamOfGraph(meta.TenantID), Expected: version,
				Events: []eventstore.Draft{{Type: cybertwins.GraphImported, Subject: rep.ImportID, Data: chunk}}})
			var ce *eventstore.ConcurrencyError
			switch {
			case errors.As(err, &ce):
				appendErr = fmt.Errorf("%w: the graph changed during the import after %d chunks; import the rest again", eventstore.ErrVersionMismatch, rep.Chunks)
				cancel()
				continue
			case err != nil:
				appendErr = err
				cancel()
				continue
			}
			version = out[len(out)-1].Version
			evs = append(evs, out...)
			recorded = append(recorded, chunk)
			rep.Chunks++
		}
		rerr := <-readErr
		// What was recorded is folded, whatever happened after it.
		for _, c := range recorded {
			t.Import(c)
		}
		if len(recorded) > 0 {
			t.Version = version
		}
		if appendErr != nil {
			return appendErr
		}
		return rerr
	})
	if err != nil {
		return nil, nil, err
	}
	took := time.Since(start)
	rep.DurationMs = float64(took.Microseconds()) / 1000
	if took > 0 {
		rep.RowsPerSecond = float64(rep.Assets+rep.Relationships) / took.Seconds()
	}
	return rep, evs, nil
}

// readChunks reads the rows, reports the refused lines, and sends the
// valid ones in chunks of ImportChunk rows. Relationships may name assets
// of the twin or of earlier lines.
func (h *Handlers) readChunks(ctx context.Context, tenant string, t *cybertwins.Twin, next func() (int, Row, error), rep *ImportReport,
	out chan<- *cybertwins.GraphImportedV1) error {
	seen := map[string]bool{}
	chunk := &cybertwins.GraphImportedV1{ImportID: rep.ImportID}
	n := 0
	send := func() error {
		if len(chunk.Assets)+len(chunk.Relationships) == 0 {
			return nil
		}
		select {
		case out <- chunk:
		case <-ctx.Done():
			return ctx.Err()
		}
		n++
		chunk = &cybertwins.GraphImportedV1{ImportID: rep.ImportID, Chunk: n}
		return nil
	}
	refuse := func(line int, err error) {
		rep.Rejected++
		if len(rep.Errors) < MaxLineErrors {
			rep.Errors = append(rep.Errors, LineError{Line: line, Error: err.Error()})
		} else {
			rep.ErrorsTruncated = true
		}
	}
	known := func(id string) bool {
		_, ok := t.Asset(id)
		return ok || seen[id]
	}
	// Relationships name assets by the import's keys, each many times: a
	// key's id is derived (hashed) once.
	ids := map[string]string{}
	idOf := func(key string) string {
		id, ok := ids[key]
		if !ok {
			id = AssetIDOf(tenant, key)
			ids[key] = id
		}
		return id
	}
	for {
		line, row, err := next()
		if err == io.EOF {
			break
		}
		var lineErr *lineError
		if errors.As(err, &lineErr) {
			rep.Lines++
			refuse(line, lineErr.err)
			continue
		}
		if err != nil {
			return err
		}
		rep.Lines++
		switch {
		case row.Kind == "asset" || (row.Kind == "" && row.Source == "" && row.Target == ""):
			a, err := cybertwins.CheckAsset(cybertwins.Asset{Name: row.Name, Type: row.Type, Criticality: row.Criticality, Owner: row.Owner,
				Tags: row.Tags, EntryPoint: row.EntryPoint, CrownJewel: row.CrownJewel})
			if err == nil && (row.Source != "" || row.Target != "" || row.Exploitability != 0) {
				err = errors.New("an asset has no source, target or exploitability")
			}
			if err != nil {
				refuse(line, err)
				continue
			}
			if row.ID == "" {
				a.ID = eventstore.NewID()
			} else {
				a.ID, a.Ref = idOf(row.ID), row.ID
			}
			seen[a.ID] = true
			chunk.Assets = append(chunk.Assets, a)
			rep.Assets++
		case row.Kind == "relationship" || row.Kind == "":
			r := cybertwins.Relationship{Source: idOf(row.Source), Target: idOf(row.Target),
				Type: row.Type, Exploitability: row.Exploitability}
			err := cybertwins.CheckRelationship(r)
			switch {
			case err != nil:
			case row.Name != "" || row.Criticality != 0 || row.Owner != "" || len(row.Tags) > 0 || row.EntryPoint || row.CrownJewel || row.ID != "":
				err = errors.New("a relationship has only source, target, type and exploitability")
			case !known(r.Source):
				err = fmt.Errorf("source %q names no asset", row.Source)
			case !known(r.Target):
				err = fmt.Errorf("target %q names no asset", row.Target)
			}
			if err != nil {
				refuse(line, err)
				continue
			}
			chunk.Relationships = append(chunk.Relationships, r)
			rep.Relationships++
		default:
			refuse(line, fmt.Errorf("kind must be asset or relationship, not %q", row.Kind))
			continue
		}
		if len(chunk.Assets)+len(chunk.Relationships) >= ImportChunk {
			if err := send(); err != nil {
				return err
			}
		}
	}
	return send()
}

// lineError is a line that could not be read as a row.
type lineError struct{ err error }

func (e *lineError) Error() string { return e.err.Error() }

// rows returns the reader of the body's rows: each call answers the next
// line's number and row, a *lineError for a line that is not a row, io.EOF
// at the end.
func rows(format string, body io.Reader) (func() (int, Row, error), error) {
	switch format {
	case FormatNDJSON:
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 0, 64<<10), maxLine)
		n := 0
		return func() (int, Row, error) {
			for sc.Scan() {
				n++
				line := bytes.TrimSpace(sc.Bytes())
				if len(line) == 0 {
					continue
				}
				var r Row
				dec := json.NewDecoder(bytes.NewReader(line))
				dec.DisallowUnknownFields()
				if err := dec.Decode(&r); err != nil {
					return n, Row{}, &lineError{fmt.Errorf("not a row: %s", strings.TrimPrefix(err.Error(), "json: "))}
				}
				if dec.More() {
					return n, Row{}, &lineError{errors.New("one JSON object a line")}
				}
				return n, r, nil
			}
			if err := sc.Err(); err != nil {
				if errors.Is(err, bufio.ErrTooLong) {
					return n + 1, Row{}, fmt.Errorf("%w: line %d is longer than %d bytes", cybertwins.ErrInvalidImport, n+1, maxLine)
				}
				return n, Row{}, err
			}
			return n, Row{}, io.EOF
		}, nil
	case FormatCSV:
		cr := csv.NewReader(body)
		cr.FieldsPerRecord = -1
		cr.ReuseRecord = true
		header, err := cr.Read()
		if err == io.EOF {
			return func() (int, Row, error) { return 0, Row{}, io.EOF }, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: the header row: %v", cybertwins.ErrInvalidImport, err)
		}
		cols := slices.Clone(header)
		for i, c := range cols {
			cols[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
			if !slices.Contains(CSVColumns, cols[i]) {
				return nil, fmt.Errorf("%w: unknown column %q (columns: %s)", cybertwins.ErrInvalidImport, cols[i], strings.Join(CSVColumns, ", "))
			}
		}
		return func() (int, Row, error) {
			rec, err := cr.Read()
			if err == io.EOF {
				return 0, Row{}, io.EOF
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return pe.StartLine, Row{}, &lineError{fmt.Errorf("not a CSV record: %v", pe.Err)}
			}
			if err != nil {
				return 0, Row{}, err
			}
			line, _ := cr.FieldPos(0)
			if len(rec) != len(cols) {
				return line, Row{}, &lineError{fmt.Errorf("%d fields, the header has %d", len(rec), len(cols))}
			}
			r, err := csvRow(cols, rec)
			if err != nil {
				return line, Row{}, &lineError{err}
			}
			return line, r, nil
		}, nil
	}
	return nil, fmt.Errorf("%w: format must be ndjson or csv", cybertwins.ErrInvalidImport)
}

func csvRow(cols, rec []string) (Row, error) {
	var r Row
	for i, c := range cols {
		v := strings.TrimSpace(rec[i])
		var err error
		switch c {
		case "kind":
			r.Kind = v
		case "id":
			r.ID = v
		case "name":
			r.Name = v
		case "type":
			r.Type = v
		case "owner":
			r.Owner = v
		case "source":
			r.Source = v
		case "target":
			r.Target = v
		case "tags":
			if v != "" {
				r.Tags = strings.Split(v, ";")
			}
		case "criticality":
			if v != "" {
				r.Criticality, err = strconv.Atoi(v)
			}
		case "exploitability":
			if v != "" {
				r.Exploitability, err = strconv.ParseFloat(v, 64)
			}
		case "entry_point":
			r.EntryPoint, err = csvBool(v)
		case "crown_jewel":
			r.CrownJewel, err = csvBool(v)
		}
		if err != nil {
			return r, fmt.Errorf("%s: %q is not a valid value", c, v)
		}
	}
	return r, nil
}

func csvBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, errors.New("not a boolean")
}
