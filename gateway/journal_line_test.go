package gateway

import (
	"encoding/json"
	"testing"
)

// A journal line is the entry's JSON, whatever its strings hold, and reads
// back as the same entry.
func TestJournalLine_ReadsBackAsTheEntry(t *testing.T) {
	e := journalEntry{Tenant: "t\"1", Actor: "a\\b\n<x>", Correlation: "", RequestID: "req-\u2028",
		Type: "com.astra.gateway.RequestCompleted", Record: json.RawMessage(`{"request_id":"req","status":200}`)}
	line := e.appendLine(nil)
	if line[len(line)-1] != '\n' {
		t.Fatalf("no newline: %q", line)
	}
	var back journalEntry
	if err := json.Unmarshal(line, &back); err != nil {
		t.Fatalf("%q: %v", line, err)
	}
	if back.Tenant != e.Tenant || back.Actor != e.Actor || back.RequestID != e.RequestID || back.Type != e.Type ||
		string(back.Record) != string(e.Record) {
		t.Fatalf("read back %+v from %q", back, line)
	}
}
