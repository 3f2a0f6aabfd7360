package bastionai_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/testkit"
)

// A data subject's erasure (Data Governance) reaches the assistant: the
// documents the subject uploaded leave the index (DocumentRemoved, their
// keys destroyed) and their questions and answers read as erased in the
// ledger; the access export lists what the assistant held about them.
func TestErasure_RemovesTheSubjectsDocumentsAndConversations(t *testing.T) {
	in := startInstance(t)
	admin := in.AdminToken(t)
	s := newScript(t)
	useScript(t, in, admin, s, false)
	dev, devTok := in.SignIn(t, admin, "leaver@erase.test", "developer")
	d := index(t, in, devTok, map[string]any{"title": "Leaver's notes", "text": "Quarterly penetration test findings for the payments gateway."})
	kept := index(t, in, admin, map[string]any{"title": "Admin notes", "text": "Quarterly penetration test schedule for the payments gateway."})
	s.play(step{text: "Noted."})
	chat(t, in, devTok, map[string]any{"message": "Summarise my penetration test notes"})

	// The access export includes the assistant's holdings.
	r := in.Do(t, http.MethodPost, "/api/v1/data-gov/dsar", admin, map[string]any{"type": "access", "subject_user_id": dev.ID})
	var access struct {
		ID string `json:"id"`
	}
	r.Data(t, &access)
	r = in.Do(t, http.MethodPost, "/api/v1/data-gov/dsar/"+access.ID+"/fulfill", admin, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "assistant_messages") || !strings.Contains(string(r.Body), "Summarise my penetration test notes") ||
		!strings.Contains(string(r.Body), "documents_uploaded") {
		t.Fatalf("access export: %d %s", r.Status, r.Body)
	}

	r = in.Do(t, http.MethodPost, "/api/v1/data-gov/dsar", admin, map[string]any{"type": "erasure", "subject_user_id": dev.ID})
	var erasure struct {
		ID string `json:"id"`
	}
	r.Data(t, &erasure)
	if r := in.Do(t, http.MethodPost, "/api/v1/data-gov/dsar/"+erasure.ID+"/fulfill", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("erasure: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 20*time.Second, "the subject's document leaves the index", func() bool {
		for _, h := range search(t, in, admin, "penetration test payments gateway") {
			if h.DocumentID != nil && *h.DocumentID == d.ID {
				return false
			}
		}
		return true
	})
	hits := search(t, in, admin, "penetration test payments gateway")
	if len(hits) == 0 || hits[0].DocumentID == nil || *hits[0].DocumentID != kept.ID {
		t.Fatalf("another user's document must stay: %+v", hits)
	}
	audit := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?type=com.astra.bastion_ai.", admin, nil)
	body := string(audit.Body)
	if strings.Contains(body, "Summarise my penetration test notes") || strings.Contains(body, "Quarterly penetration test findings") ||
		!strings.Contains(body, "com.astra.bastion_ai.DocumentRemoved") || !strings.Contains(body, `"reason":"erasure"`) {
		t.Fatalf("ledger after erasure: %s", body)
	}
	// The chain still verifies: history was not rewritten.
	if r := in.Do(t, http.MethodPost, "/api/v1/admin/audit/verify", admin, nil); !strings.Contains(string(r.Body), `"ok":true`) {
		t.Fatalf("verify: %s", r.Body)
	}
}

// A Data Governance retention policy of bastion_ai/assistant_documents
// removes the documents indexed before its cutoff.
func TestRetention_RemovesDocumentsOlderThanThePeriod(t *testing.T) {
	later := time.Now().Add(48 * time.Hour)
	saved := app.DataGovNow
	app.DataGovNow = func() time.Time { return later }
	in := startInstance(t)
	app.DataGovNow = saved
	admin := in.AdminToken(t)
	d := index(t, in, admin, map[string]any{"title": "Old notes", "text": "Tabletop exercise notes from the incident response drill."})

	r := in.Do(t, http.MethodPost, "/api/v1/data-gov/retention-policies", admin, map[string]any{"name": "assistant documents a day",
		"module": "bastion_ai", "data_class": "assistant_documents", "period_days": 1})
	if r.Status != http.StatusCreated {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	var pol struct {
		ID string `json:"id"`
	}
	r.Data(t, &pol)
	var dry struct {
		Run struct {
			Rows  int `json:"rows"`
			Items int `json:"items"`
		} `json:"run"`
	}
	r = in.Do(t, http.MethodPost, "/api/v1/data-gov/retention-policies/"+pol.ID+"/enforce", admin, map[string]any{"dry_run": true})
	r.Data(t, &dry)
	if r.Status != http.StatusOK || dry.Run.Rows != 1 || dry.Run.Items != 1 {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	if p := testkit.GetPage[document](t, in, api+"/rag/documents", admin); len(p.Data) != 1 {
		t.Fatalf("a dry run removed something: %+v", p.Data)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/data-gov/retention-policies/"+pol.ID+"/enforce", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("enforce: %d %s", r.Status, r.Body)
	}
	testkit.Eventually(t, 20*time.Second, "the old document removed", func() bool {
		return len(testkit.GetPage[document](t, in, api+"/rag/documents", admin).Data) == 0
	})
	audit := in.Do(t, http.MethodGet, "/api/v1/admin/audit/events?subject="+d.ID, admin, nil)
	if body := string(audit.Body); !strings.Contains(body, `"reason":"retention"`) || strings.Contains(body, "Tabletop exercise") {
		t.Fatalf("ledger: %s", body)
	}
}
