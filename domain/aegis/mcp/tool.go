// Package mcp is the pure side of AEGIS's MCP firewall: tools pinned by a
// SHA-256 over their canonical definition, the drift between two
// definitions, the offline poisoning scan, the firewall's rules and their
// evaluation, and the backtest of a draft rule set over recorded decisions.
// No I/O and no clock: callers pass now.
package mcp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Errors of the MCP firewall.
var (
	// ErrServerNotFound: no MCP server of that id in the tenant.
	ErrServerNotFound = errors.New("aegis: mcp server not found")
	// ErrInvalidServer: the server's fields do not hold (the detail names the field).
	ErrInvalidServer = errors.New("aegis: invalid mcp server")
	// ErrServerRemoved: the server was removed; it is read, never changed.
	ErrServerRemoved = errors.New("aegis: mcp server removed")
	// ErrUpstream: the upstream MCP server could not be reached or answered badly.
	ErrUpstream = errors.New("aegis: mcp upstream unavailable")
	// ErrRuleNotFound: no firewall rule of that id in the tenant.
	ErrRuleNotFound = errors.New("aegis: mcp rule not found")
	// ErrInvalidRule: the rule does not compile (the detail names the field).
	ErrInvalidRule = errors.New("aegis: invalid mcp rule")
	// ErrSessionNotFound: no live proxy session of that id for this caller.
	ErrSessionNotFound = errors.New("aegis: mcp session not found")
)

// Tool is an MCP tool's definition as tools/list gives it.
type Tool struct {
	Name        string          `json:"name"`
	Title       string          `json:"title,omitempty"`
	Description string          `json:"description"`
	InputSchema json.RawMessage `json:"inputSchema,omitempty" swaggertype:"object"`
	// OutputSchema is absent for tools that return unstructured content.
	OutputSchema json.RawMessage `json:"outputSchema,omitempty" swaggertype:"object"`
	// Annotations are the server's hints (readOnlyHint, openWorldHint …): not pinned, never trusted.
	Annotations json.RawMessage `json:"annotations,omitempty" swaggertype:"object"`
}

// Canonical is the JSON of a schema with object keys sorted, numbers kept
// as written and no insignificant white space ("null" when absent).
func Canonical(raw json.RawMessage) ([]byte, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("null"), nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical schema: %w", err)
	}
	return json.Marshal(v) // encoding/json sorts map keys
}

// Pin is the SHA-256 (hex) over the tool's canonical name, description,
// input schema and output schema: any change to what the model reads or
// sends changes the pin. An undecodable schema pins its raw bytes.
func Pin(t Tool) string {
	in, err := Canonical(t.InputSchema)
	if err != nil {
		in = t.InputSchema
	}
	out, err := Canonical(t.OutputSchema)
	if err != nil {
		out = t.OutputSchema
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(t.Name), []byte(t.Description), in, out} {
		var n [8]byte
		l := uint64(len(part))
		for i := range n {
			n[i] = byte(l >> (8 * (7 - i)))
		}
		h.Write(n[:]) // length-prefixed: no two tools share an encoding
		h.Write(part)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Change is one field of a tool that changed between two definitions.
type Change struct {
	Field string `json:"field" enum:"description,input_schema,output_schema,added,removed"`
	// Before and After are the field's values (schemas canonical), cut at 4 KiB.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
}

func cut(s string) string {
	if len(s) > 4096 {
		return s[:4096] + "…"
	}
	return s
}

// Diff lists what changed from before to after (nil: the same pin).
func Diff(before, after Tool) []Change {
	var out []Change
	if before.Description != after.Description {
		out = append(out, Change{Field: "description", Before: cut(before.Description), After: cut(after.Description)})
	}
	for _, f := range []struct {
		name string
		a, b json.RawMessage
	}{{"input_schema", before.InputSchema, after.InputSchema}, {"output_schema", before.OutputSchema, after.OutputSchema}} {
		a, _ := Canonical(f.a)
		b, _ := Canonical(f.b)
		if !bytes.Equal(a, b) {
			out = append(out, Change{Field: f.name, Before: cut(string(a)), After: cut(string(b))})
		}
	}
	return out
}

// Pin states of a tool.
const (
	// PinApproved: the tool's current definition is the approved one.
	PinApproved = "approved"
	// PinPending: a tool the server offers that nobody approved yet (new on an approved server, or any tool of a server not yet approved).
	PinPending = "pending"
	// PinChanged: the definition drifted from the approved pin; blocked until re-approved.
	PinChanged = "changed"
	// PinRemoved: the server no longer offers it.
	PinRemoved = "removed"
)

// PinStates lists the pin states.
var PinStates = []string{PinApproved, PinPending, PinChanged, PinRemoved}

// Pinned is what the firewall holds of one tool of a server.
type Pinned struct {
	Tool Tool `json:"tool"`
	// Hash is the pin of the tool's current definition.
	Hash string `json:"hash"`
	// ApprovedHash is the pin a person approved ("" never approved).
	ApprovedHash string `json:"approved_hash,omitempty"`
	State        string `json:"state"`
	// Findings are the poisoning scan's findings on the current definition.
	Findings []Finding `json:"findings"`
}

// Reconcile compares what a server offers now with what is pinned: it
// returns the new pin table (sorted by name) and the tools whose
// definition drifted from an approved pin, with their diff.
func Reconcile(pinned map[string]Pinned, offered []Tool, scan func(Tool) []Finding) (table []Pinned, drifts []Drift) {
	seen := map[string]bool{}
	for _, t := range offered {
		if seen[t.Name] {
			continue // a duplicate name: the first wins, as clients resolve it
		}
		seen[t.Name] = true
		p := Pinned{Tool: t, Hash: Pin(t), Findings: scan(t)}
		old, ok := pinned[t.Name]
		p.ApprovedHash = old.ApprovedHash
		switch {
		case !ok || old.ApprovedHash == "":
			p.State = PinPending
		case old.ApprovedHash == p.Hash:
			p.State = PinApproved
		default:
			p.State = PinChanged
			if old.Hash != p.Hash {
				drifts = append(drifts, Drift{Tool: t.Name, ApprovedHash: old.ApprovedHash, PreviousHash: old.Hash, NewHash: p.Hash,
					Changes: Diff(old.Tool, t)})
			}
		}
		if p.State == PinChanged {
			for i := range p.Findings {
				p.Findings[i].Techniques = appendOnce(p.Findings[i].Techniques, TechniquePublishPoisoned)
			}
		}
		table = append(table, p)
	}
	for name, old := range pinned {
		if !seen[name] && old.State != PinRemoved {
			old.State = PinRemoved
			table = append(table, old)
		}
	}
	sort.Slice(table, func(i, j int) bool { return table[i].Tool.Name < table[j].Tool.Name })
	return table, drifts
}

func appendOnce(xs []string, x string) []string {
	for _, y := range xs {
		if y == x {
			return xs
		}
	}
	return append(xs, x)
}

// Drift is a tool whose definition changed after it was approved (a rug
// pull): blocked from discovery and calls until re-approved.
type Drift struct {
	Tool         string   `json:"tool"`
	ApprovedHash string   `json:"approved_hash"`
	PreviousHash string   `json:"previous_hash"`
	NewHash      string   `json:"new_hash"`
	Changes      []Change `json:"changes"`
}
