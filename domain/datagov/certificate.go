package datagov

import (
	"fmt"
	"strings"
	"time"
)

// Certificate lists what an erasure destroyed, what it made unreadable, and
// what it could not shred (with why and what happens to it instead).
type Certificate struct {
	DsarID        string    `json:"dsar_id"`
	TenantID      string    `json:"tenant_id"`
	SubjectUserID string    `json:"subject_user_id,omitempty"`
	IssuedAt      time.Time `json:"issued_at"`
	// Keys are the data keys destroyed.
	Keys []ShreddedKey `json:"keys"`
	// Sealed counts the ledger events, per type, holding fields sealed under
	// those keys: they read as erased in the ledger, on Kafka, in replays and
	// in exports, while the hash chain still verifies.
	Sealed []SealedCount `json:"sealed"`
	// ReadModels are the read-model rows the erasure changed.
	ReadModels []ReadModelEffect `json:"read_models"`
	// Retained is what the erasure could not shred, and how it is handled.
	Retained []Retained `json:"retained"`
}

// ShreddedKey is one destroyed data key.
type ShreddedKey struct {
	Key    string `json:"key"`
	Module string `json:"module"`
	Holds  string `json:"holds"`
}

// SealedCount counts ledger events of one type holding sealed fields of the subject.
type SealedCount struct {
	Module string `json:"module"`
	Type   string `json:"type"`
	Events int    `json:"events"`
}

// ReadModelEffect is what happened to a read model's rows of the subject.
type ReadModelEffect struct {
	Module string `json:"module"`
	Rows   string `json:"rows"`
	Count  int    `json:"count"`
	Effect string `json:"effect" enum:"erased,redacted"`
}

// Retained is data of the subject that a per-subject key cannot shred.
type Retained struct {
	Module string   `json:"module"`
	What   string   `json:"what"`
	Reason string   `json:"reason"`
	Keys   []string `json:"keys"`
}

// RecordsRetained is the certificate's entry for records a module keeps that
// name the subject outside sealed fields (an owner typed as free text, a file
// of evidence they uploaded): the module's own record, kept as it is.
func RecordsRetained(s Section) Retained {
	return Retained{Module: s.Module, What: fmt.Sprintf("%d %s", len(s.Items), strings.ReplaceAll(s.Kind, "_", " ")),
		Reason: "the module's record, not the subject's personal data: ids and free-text fields (an owner, a name, a file) are not sealed per person. " +
			"They were listed in the subject's access exports; what identifies the subject in them reads as erased only where it was a sealed field.",
		Keys: []string{}}
}

// ContentRetained is the certificate's entry for a subject's gateway content:
// it is sealed under the tenant's monthly content keys, shared with everyone
// else's, so it is redacted in the request log and goes with its month.
func ContentRetained(months []string) Retained {
	if months == nil {
		months = []string{}
	}
	return Retained{Module: "gateway", What: "prompt and completion text of the subject's gateway requests",
		Reason: "sealed under the tenant's monthly content keys, shared with every other principal of the month: not shreddable for one subject. " +
			"Redacted in the request log now, read as erased in the audit trail and the live stream (the subject's principals are withdrawn); " +
			"the ciphertext stays in the ledger until a gateway prompt_content retention policy deletes its month's key.",
		Keys: months}
}
