package sso

import (
	"encoding/json"
	"testing"
)

func TestVerified_ReadsBooleansAndStrings(t *testing.T) {
	for raw, want := range map[string]string{"": "absent", "null": "absent", "true": "yes", `"true"`: "yes",
		"false": "no", `"false"`: "no", `"yes"`: "no", "1": "no"} {
		got := "absent"
		if v := verified(json.RawMessage(raw)); v != nil {
			got = map[bool]string{true: "yes", false: "no"}[*v]
		}
		if got != want {
			t.Errorf("email_verified %s reads as %s, want %s", raw, got, want)
		}
	}
}
