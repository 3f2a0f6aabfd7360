package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

type verifyReport struct {
	OK     bool `json:"ok"`
	Breaks []struct {
		StreamID string `json:"stream_id"`
		Version  int64  `json:"version"`
		Position int64  `json:"position"`
		Problem  string `json:"problem"`
	} `json:"breaks"`
}

// apiVerify calls POST /api/v1/admin/audit/verify.
func apiVerify(t *testing.T, base, token string) verifyReport {
	t.Helper()
	a := mustCall(t, http.MethodPost, base+"/api/v1/admin/audit/verify", token, nil)
	if a.Status != http.StatusOK {
		t.Fatalf("verify: %d %.400s", a.Status, a.Body)
	}
	var rep verifyReport
	a.data(t, &rep)
	return rep
}

// names reports whether the report has a break on that stream and version.
func (r verifyReport) names(stream string, version int64) bool {
	for _, b := range r.Breaks {
		if b.StreamID == stream && b.Version == version {
			return true
		}
	}
	return false
}

func TestVerify_DetectsTampering(t *testing.T) {
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	db := openDB(t, cfg)
	ctx := context.Background()

	// Two users with three versions each, one more with one.
	var ids []string
	for i, name := range []string{"Tamper One", "Tamper Two", "Tamper Three"} {
		u := createUser(t, p.URL, token, "tamper"+strconv.Itoa(i)+"@verify.test", name)
		ids = append(ids, u.ID)
		if i == 2 {
			continue
		}
		for v := 1; v <= 2; v++ {
			a := mustCall(t, http.MethodPatch, p.URL+"/api/v1/iam/users/"+u.ID, token,
				map[string]string{"name": name + " v" + strconv.Itoa(v+1)}, "If-Match", strconv.Itoa(v))
			if a.Status != http.StatusOK {
				t.Fatalf("patch: %d %.400s", a.Status, a.Body)
			}
		}
	}
	if code, out := testkit.RunAstra(t, cfg, "verify"); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify of an untouched ledger exited %d:\n%s", code, out)
	}
	if rep := apiVerify(t, p.URL, token); !rep.OK || len(rep.Breaks) != 0 {
		t.Fatalf("API verify of an untouched ledger: %+v", rep)
	}

	// One byte of the payload of version 2 of the first user's stream.
	stream := "iam.user-" + ids[0]
	pos := scalar[int64](t, db, `SELECT position FROM events WHERE stream_id = $1 AND version = 2`, stream)
	flip := `UPDATE events SET data = set_byte(data, 14, get_byte(data, 14) # 1) WHERE position = $1`
	if tag, err := db.Exec(ctx, flip, pos); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tamper: %v %v", tag, err)
	}
	code, out := testkit.RunAstra(t, cfg, "verify")
	if code != 1 {
		t.Fatalf("verify of a tampered ledger exited %d, want 1:\n%s", code, out)
	}
	want := "stream=" + stream + " version=2 position=" + strconv.FormatInt(pos, 10)
	if !strings.Contains(out, want) {
		t.Fatalf("verify output does not name %q:\n%s", want, out)
	}
	if strings.Count(out, "BREAK ") != 1 {
		t.Fatalf("one altered byte should be one break:\n%s", out)
	}
	rep := apiVerify(t, p.URL, token)
	if rep.OK || !rep.names(stream, 2) {
		t.Fatalf("API verify does not report %s version 2: %+v", stream, rep)
	}

	// Putting the byte back makes the ledger whole again: the break was exactly that byte.
	if _, err := db.Exec(ctx, flip, pos); err != nil {
		t.Fatal(err)
	}
	if code, out := testkit.RunAstra(t, cfg, "verify"); code != 0 {
		t.Fatalf("verify after restoring the byte exited %d:\n%s", code, out)
	}

	// A deleted middle event leaves a version gap (and a position gap).
	stream2 := "iam.user-" + ids[1]
	pos2 := scalar[int64](t, db, `SELECT position FROM events WHERE stream_id = $1 AND version = 2`, stream2)
	if _, err := db.Exec(ctx, `DELETE FROM events WHERE position = $1`, pos2); err != nil {
		t.Fatal(err)
	}
	code, out = testkit.RunAstra(t, cfg, "verify")
	if code != 1 {
		t.Fatalf("verify of a ledger with a deleted event exited %d, want 1:\n%s", code, out)
	}
	if !strings.Contains(out, "stream="+stream2+" version=3") || !strings.Contains(out, "version 3 follows 1") {
		t.Fatalf("verify output does not report the gap in %s:\n%s", stream2, out)
	}
	if !strings.Contains(out, "not gapless") {
		t.Fatalf("verify output does not report the position gap:\n%s", out)
	}
	rep = apiVerify(t, p.URL, token)
	if rep.OK || !rep.names(stream2, 3) {
		t.Fatalf("API verify does not report the gap in %s: %+v", stream2, rep)
	}
}
