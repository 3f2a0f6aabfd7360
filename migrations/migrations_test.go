package migrations

import (
	"io/fs"
	"regexp"
	"sort"
	"testing"
)

// platformTables are the tables migrations may create (decision 0016): the
// ledger, the relay and the projections' bookkeeping, and the state the
// platform writes outside the event log. Read models are not among them:
// each projection's Setup creates its tables in its generation's schema.
var platformTables = map[string]string{
	"ledger_head":             "the ledger: commit-ordered head position (decision 0001)",
	"events":                  "the ledger: every event, hash-chained",
	"streams":                 "the ledger: each stream's version and last hash",
	"relay_checkpoint":        "the relay: the position published to the broker",
	"subject_keys":            "sealed personal data: a data key per subject (decision 0003)",
	"platform_secrets":        "sealed platform secrets (signing keys, record MAC key)",
	"projection_generations":  "projection bookkeeping: each generation's schema and status (decision 0002)",
	"projection_offsets":      "projection bookkeeping: positions, written with the read model",
	"projection_errors":       "projection bookkeeping: alerts",
	"projection_dead_letters": "projection bookkeeping: quarantined records (decision 0012)",
	"idempotency_keys":        "the write path: Idempotency-Key answers (expire after a day)",
	"sso_login_states":        "SSO: short-lived login state of an authorization-code flow",
	"login_throttle":          "IAM: failed sign-in counters (short-lived, not history)",
	"platform_deliveries":     "Platform: the webhook delivery queue (retry schedule, claims; the events and the integrations' changes are in the ledger)",
}

var createTable = regexp.MustCompile(`(?i)\bCREATE\s+(?:UNLOGGED\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z0-9_."]+)`)

// TestMigrations_CreateOnlyLedgerAndPlatformTables keeps read models out of
// the migrations: a table created here exists once, outside any
// generation's schema, so a rebuild (blue/green) could not recreate it.
func TestMigrations_CreateOnlyLedgerAndPlatformTables(t *testing.T) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations embedded: %v", err)
	}
	created := map[string]bool{}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
			table := m[1]
			created[table] = true
			if _, ok := platformTables[table]; !ok {
				t.Errorf("%s creates table %s: migrations hold the ledger and platform tables only; "+
					"a read model's tables are created by its projection's Setup (decision 0016), "+
					"and a new platform table is added to platformTables with its reason", name, table)
			}
		}
	}
	var missing []string
	for table := range platformTables {
		if !created[table] {
			missing = append(missing, table)
		}
	}
	sort.Strings(missing)
	for _, table := range missing {
		t.Errorf("platformTables lists %s, which no migration creates", table)
	}
}
