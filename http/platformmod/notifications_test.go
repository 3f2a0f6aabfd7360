package platformmod_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type notification struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	Severity   string   `json:"severity"`
	SourceType string   `json:"source_type"`
	Read       bool     `json:"read"`
	Channels   []string `json:"channels"`
}

// TestNotifications_AegisAlertRoutedToChannelsAndReadPerUser: an agent's
// quarantine raises AEGIS's built-in high alert; the notification rules
// route it in-app to every user of the tenant, to the Slack-compatible
// webhook and the e-mail channel (the outbox directory, no SMTP server
// here), not to a channel that wants only critical ones; each user reads
// it on their own.
func TestNotifications_AegisAlertRoutedToChannelsAndReadPerUser(t *testing.T) {
	slack := newReceiver(t)
	in := start(t, slack)
	admin := in.AdminToken(t)
	mk := func(body map[string]any) string {
		r := in.Do(t, http.MethodPost, api+"/notification-channels", admin, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("channel: %d %s", r.Status, r.Body)
		}
		var c struct {
			ID string `json:"id"`
		}
		r.Data(t, &c)
		if strings.Contains(string(r.Body), "target") {
			t.Fatalf("a channel's target is shown: %s", r.Body)
		}
		return c.ID
	}
	slackID := mk(map[string]any{"name": "sec-slack", "type": "slack", "target": slack.srv.URL + "/services/T000/B000/XXX",
		"event_types": []string{"com.astra.aegis.AlertRaised"}, "min_severity": "high"})
	mailID := mk(map[string]any{"name": "soc-mail", "type": "email", "target": "soc@example.test", "event_types": []string{"com.astra.aegis.*"}})
	critical := mk(map[string]any{"name": "pager", "type": "webhook", "target": slack.srv.URL + "/pager", "min_severity": "critical"})

	_, colleague := in.SignIn(t, admin, "colleague@platform.test", "security_admin")
	r := in.Do(t, http.MethodPost, "/api/v1/aegis/agents", admin, map[string]any{"name": "noisy-bot", "owner": "ops", "model": "mock-small", "api_key_ids": []string{}})
	if r.Status != http.StatusCreated {
		t.Fatalf("agent: %d %s", r.Status, r.Body)
	}
	var agent struct {
		ID string `json:"id"`
	}
	r.Data(t, &agent)
	if r := in.Do(t, http.MethodPost, "/api/v1/aegis/agents/"+agent.ID+"/quarantine", admin, map[string]string{"reason": "exfiltration pattern"}); r.Status != http.StatusOK {
		t.Fatalf("quarantine: %d %s", r.Status, r.Body)
	}
	var n notification
	testkit.Eventually(t, 30*time.Second, "the alert's notification carried by both matching channels", func() bool {
		p := testkit.GetPage[notification](t, in, api+"/notifications?unread=true", admin)
		for _, x := range p.Data {
			if x.SourceType == "com.astra.aegis.AlertRaised" {
				n = x
			}
		}
		return len(n.Channels) == 2
	})
	if n.Severity != "high" || n.Read || !strings.Contains(n.Title, "AEGIS alert") {
		t.Fatalf("notification %+v", n)
	}
	if !(contains(n.Channels, slackID) && contains(n.Channels, mailID)) || contains(n.Channels, critical) {
		t.Fatalf("carried by %v (slack %s, mail %s, critical-only %s)", n.Channels, slackID, mailID, critical)
	}
	posts := slack.ofType("")
	var text string
	for _, p := range posts {
		var m map[string]string
		if json.Unmarshal(p.Body, &m) == nil && m["text"] != "" {
			text = m["text"]
		}
	}
	if !strings.Contains(text, "AEGIS alert") || len(posts) != 1 {
		t.Fatalf("slack got %d posts, text %q", len(posts), text)
	}
	mails, _ := filepath.Glob(filepath.Join(in.Cfg.DataDir, "outbox", "mail-soc_at_example.test-*.txt"))
	if len(mails) != 1 {
		t.Fatalf("outbox mails %v", mails)
	}
	if b, _ := os.ReadFile(mails[0]); !strings.Contains(string(b), "Subject: [ASTRA BASTION] AEGIS alert") {
		t.Fatalf("mail: %s", b)
	}

	// Read per user: the admin reads it; the colleague has it unread still.
	r = in.Do(t, http.MethodPost, api+"/notifications/"+n.ID+"/read", admin, nil)
	var read notification
	r.Data(t, &read)
	if r.Status != http.StatusOK || !read.Read {
		t.Fatalf("read: %d %s", r.Status, r.Body)
	}
	if p := testkit.GetPage[notification](t, in, api+"/notifications?unread=true", colleague); len(p.Data) == 0 {
		t.Fatal("the colleague's copy was marked read too")
	}
	r = in.Do(t, http.MethodPost, api+"/notifications/read-all", colleague, nil)
	var all struct {
		Unread int64 `json:"unread"`
	}
	r.Data(t, &all)
	if r.Status != http.StatusOK || all.Unread != 0 {
		t.Fatalf("read-all: %d %s", r.Status, r.Body)
	}

	// Tenancy and permissions.
	_, other := in.NewTenant(t, admin, "Notifyother")
	if r := in.Do(t, http.MethodPost, api+"/notifications/"+n.ID+"/read", other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant reads: %d", r.Status)
	}
	if p := testkit.GetPage[notification](t, in, api+"/notifications", other); len(p.Data) != 0 {
		t.Errorf("other tenant sees %d notifications", len(p.Data))
	}
	if r := in.Do(t, http.MethodDelete, api+"/notification-channels/"+slackID, other, nil); r.Status != http.StatusNotFound {
		t.Errorf("other tenant deletes a channel: %d", r.Status)
	}
	_, viewer := in.SignIn(t, admin, "viewer@notify.test", "viewer")
	if r := in.Do(t, http.MethodPost, api+"/notification-channels", viewer, map[string]any{"name": "x", "type": "email", "target": "x@example.test"}); r.Status != http.StatusForbidden {
		t.Errorf("viewer adds a channel: %d", r.Status)
	}
	for _, c := range []struct {
		body map[string]any
		code int
		in   string
	}{
		{map[string]any{"name": "x", "type": "email", "target": "not an address"}, 422, "e-mail"},
		{map[string]any{"name": "x", "type": "slack", "target": "http://hooks.example.test/x"}, 422, "https"},
		{map[string]any{"name": "x", "type": "sms", "target": "+15550100"}, 400, "type"},
		{map[string]any{"name": "x", "type": "email", "target": "a@example.test", "cc": "b@example.test"}, 400, "cc"},
	} {
		r := in.Do(t, http.MethodPost, api+"/notification-channels", admin, c.body)
		if r.Status != c.code || !strings.Contains(string(r.Body), c.in) {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	if r := in.Do(t, http.MethodDelete, api+"/notification-channels/"+critical, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete channel: %d", r.Status)
	}
	if p := testkit.GetPage[notification](t, in, api+"/notification-channels", admin); len(p.Data) != 2 {
		t.Fatalf("channels after delete: %d", len(p.Data))
	}
	rebuiltIdentical(t, in)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
