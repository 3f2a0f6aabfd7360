package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

type resolved struct {
	Value     any     `json:"value"`
	Variant   *string `json:"variant"`
	Reason    *string `json:"reason"`
	ErrorCode *string `json:"errorCode"`
	Version   any     `json:"version"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestOFREP_OfficialOpenFeatureClient is the acceptance test of the flags'
// remote evaluation: the official @openfeature/server-sdk with
// @openfeature/ofrep-provider, unmodified, pointed at /api/v1 with a
// tenant's API key, evaluates a targeted flag to the targeted variant for
// the targeted tenant and user and to the default otherwise, resolves
// boolean, number and object flags, and gets the SDK's default with the
// protocol's error code for an unknown flag and a rollout without a
// targeting key.
func TestOFREP_OfficialOpenFeatureClient(t *testing.T) {
	testkit.RequireTool(t, "node", "npm")
	dir := testkit.NodeProject(t, "sdk/openfeature-test", "@openfeature/ofrep-provider/package.json")
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	tenantB, adminB := in.NewTenant(t, admin, "OpenFeatureB")
	_, adminC := in.NewTenant(t, admin, "OpenFeatureC")
	userB := in.Me(t, adminB).ID
	keyB, _ := in.NewAPIKey(t, adminB, "openfeature", "gateway:read")
	keyC, _ := in.NewAPIKey(t, adminC, "openfeature", "gateway:read")
	for _, f := range []map[string]any{
		{"key": "new-checkout", "type": "string", "variants": map[string]any{"classic": "classic", "beta": "beta"}, "default_variant": "classic",
			"rules": []map[string]any{{"tenants": []string{tenantB}, "users": []string{userB}, "variant": "beta"}}},
		{"key": "dark-mode", "type": "boolean", "default_variant": "off", "rules": []map[string]any{{"tenants": []string{tenantB}, "variant": "on"}}},
		{"key": "upload-limit-mb", "type": "number", "variants": map[string]any{"small": 10, "large": 250}, "default_variant": "small",
			"rules": []map[string]any{{"users": []string{userB}, "variant": "large"}}},
		{"key": "theme", "type": "object", "variants": map[string]any{"plain": map[string]any{"accent": "#0a6"}}, "default_variant": "plain"},
		{"key": "ramp", "type": "boolean", "default_variant": "off", "rollout": []map[string]any{{"variant": "on", "weight": 50}, {"variant": "off", "weight": 50}}},
	} {
		if r := in.Do(t, http.MethodPost, "/api/v1/admin/feature-flags", admin, f); r.Status != http.StatusCreated {
			t.Fatalf("flag %s: %d %s", f["key"], r.Status, r.Body)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "evaluate.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ASTRA_API="+in.URL+"/api/v1", "KEY_B="+keyB, "KEY_C="+keyC, "USER_B="+userB)
	stdout, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("node evaluate.mjs: %v\n%s", err, exit.Stderr)
		}
		t.Fatalf("node evaluate.mjs: %v", err)
	}
	var got map[string]resolved
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("output %q: %v", stdout, err)
	}
	for name, want := range map[string]struct {
		value           any
		variant, reason string
		errorCode       string
	}{
		"targeted":             {"beta", "beta", "TARGETING_MATCH", ""},
		"otherUser":            {"classic", "classic", "DEFAULT", ""},
		"otherTenant":          {"classic", "classic", "DEFAULT", ""},
		"otherTenantClaimingB": {"classic", "classic", "DEFAULT", ""},
		"boolean":              {true, "on", "TARGETING_MATCH", ""},
		"number":               {float64(250), "large", "TARGETING_MATCH", ""},
		"missing":              {true, "", "ERROR", "FLAG_NOT_FOUND"},
		"noTargetingKey":       {false, "", "ERROR", "TARGETING_KEY_MISSING"},
	} {
		r, ok := got[name]
		if !ok || r.Value != want.value || str(r.Variant) != want.variant || str(r.Reason) != want.reason || str(r.ErrorCode) != want.errorCode {
			t.Fatalf("%s: %+v (variant %q reason %q error %q), want %+v", name, r, str(r.Variant), str(r.Reason), str(r.ErrorCode), want)
		}
	}
	if obj, ok := got["object"].Value.(map[string]any); !ok || obj["accent"] != "#0a6" || str(got["object"].Reason) != "STATIC" {
		t.Fatalf("object flag: %+v", got["object"])
	}
	if got["targeted"].Version != float64(1) {
		t.Fatalf("flag metadata: %+v", got["targeted"])
	}
}
