package gateway_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/testkit"
)

// testPIISelection: a policy may select any entity type of the catalogue, those off by default
// included, and a default phone region; an unknown type or region is refused with VAL-001 naming it.
func testPIISelection(t *testing.T, in *testkit.Instance, admin string) {
	_, ta := in.NewTenant(t, admin, "PIISelection")

	t.Run("the OpenAPI document lists every type", func(t *testing.T) {
		rule := in.Doc.Components.Schemas["PIIRule"]
		if rule == nil || rule.Value.Properties["types"] == nil || rule.Value.Properties["types"].Value.Items == nil {
			t.Fatal("no PIIRule.types in the document")
		}
		var enum []string
		for _, v := range rule.Value.Properties["types"].Value.Items.Value.Enum {
			enum = append(enum, v.(string))
		}
		if !slices.Equal(enum, gw.PIIEntityTypes()) || rule.Value.Properties["phone_region"] == nil {
			t.Fatalf("enum %v, catalogue %v", enum, gw.PIIEntityTypes())
		}
	})

	t.Run("unknown types and regions are named", func(t *testing.T) {
		for _, c := range []struct {
			pii   map[string]any
			names string
		}{
			{map[string]any{"types": []string{"EMAIL_ADDRESS", "PASSPORT"}}, `pii.types[1] must be a PII entity type ("PASSPORT" is not`},
			{map[string]any{"phone_region": "XX"}, `pii.phone_region must be an ISO 3166 alpha-2 region with a telephone numbering plan ("XX" is not)`},
		} {
			p := wantProblem(t, in.Do(t, http.MethodPost, "/api/v1/gateway/policies", ta, map[string]any{"name": "bad", "pii": c.pii}),
				http.StatusBadRequest, "VAL-001")
			if !strings.Contains(p.Detail, c.names) {
				t.Errorf("detail %q does not name %q", p.Detail, c.names)
			}
		}
	})

	pol := createPolicy(t, in, ta, map[string]any{"name": "wide",
		"pii": map[string]any{"enabled": true, "action": "redact", "types": []string{"email_address", "DATE_TIME", "URL"}, "phone_region": "sg"}})
	rule := pol.Policy["pii"].(map[string]any)
	if types, _ := rule["types"].([]any); len(types) != 3 || types[0] != "EMAIL_ADDRESS" || rule["phone_region"] != "SG" {
		t.Fatalf("normalised rule %v", rule)
	}
	with := map[string]any{"policy_id": pol.ID}

	t.Run("types off by default are redacted when selected", func(t *testing.T) {
		out := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: on 2024-03-18 see https://example.com/x or mail ana@example.org", with)
		if got := out.Choices[0].Message.Content; got != "on [DATE_TIME] see [URL] or mail [EMAIL_ADDRESS]" {
			t.Fatalf("the provider saw %q", got)
		}
		if !slices.Equal(out.Security.PIITypes, []string{"DATE_TIME", "EMAIL_ADDRESS", "URL"}) {
			t.Fatalf("pii_types %v", out.Security.PIITypes)
		}
		// The default policy leaves dates and URLs alone.
		plain := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: on 2024-03-18 see https://example.com/x", nil)
		if got := plain.Choices[0].Message.Content; got != "on 2024-03-18 see https://example.com/x" {
			t.Fatalf("the default policy redacted %q", got)
		}
	})

	t.Run("names and addresses when the policy selects them", func(t *testing.T) {
		names := createPolicy(t, in, ta, map[string]any{"name": "names",
			"pii": map[string]any{"enabled": true, "action": "redact", "types": []string{"PERSON", "STREET_ADDRESS"}}})
		out := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: Send it to John Smith, 42 Elm Street, Springfield.", map[string]any{"policy_id": names.ID})
		if got := out.Choices[0].Message.Content; got != "Send it to [PERSON], [STREET_ADDRESS], Springfield." {
			t.Fatalf("the provider saw %q", got)
		}
		plain := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: Send it to John Smith, 42 Elm Street", nil)
		if got := plain.Choices[0].Message.Content; got != "Send it to John Smith, 42 Elm Street" {
			t.Fatalf("the default policy redacted %q", got)
		}
	})

	t.Run("the default phone region reads its short national numbers", func(t *testing.T) {
		// Selected types narrow what is acted on: PHONE_NUMBER is not among them here.
		phones := createPolicy(t, in, ta, map[string]any{"name": "sg phones",
			"pii": map[string]any{"enabled": true, "action": "redact", "types": []string{"PHONE_NUMBER"}, "phone_region": "SG"}})
		out := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: see 8123 4567 now", map[string]any{"policy_id": phones.ID})
		if got := out.Choices[0].Message.Content; got != "see [PHONE_NUMBER] now" {
			t.Fatalf("the provider saw %q", got)
		}
		plain := okChat(t, in, ta, "mock", "mock-small", "MOCK_ECHO: see 8123 4567 now", with)
		if got := plain.Choices[0].Message.Content; got != "see 8123 4567 now" {
			t.Fatalf("without PHONE_NUMBER selected: %q", got)
		}
	})
}
