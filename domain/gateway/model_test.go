package gateway

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestNormaliseModel_OneSpellingPerModel(t *testing.T) {
	for in, want := range map[string]string{
		"mock-2":                "mock-2",
		"MOCK-2":                "mock-2",
		" mock-2\t":             "mock-2",
		"mock-2\u00a0":          "mock-2",
		"\u3000mock-2":          "mock-2",
		"mo\u200bck-2":          "mock-2",
		"\ufeffmock\u200d-2":    "mock-2",
		"mock\u00ad-2\ufe0f":    "mock-2",
		"ｍｏｃｋ－２":                "mock-2",
		"mock-2:latest":         "mock-2",
		"Mock-2:LATEST ":        "mock-2",
		"mock-2:latest:latest":  "mock-2",
		"llama3:8b":             "llama3:8b",
		"gpt-4o-2024-08-06":     "gpt-4o-2024-08-06",
		"anthropic/claude-3-5":  "anthropic/claude-3-5",
		"STRAßE":                "strasse",
		"\u212bngstrom":         "\u00e5ngstrom", // not ASCII once normalised: refused below
		"meta-llama/Llama-3-8B": "meta-llama/llama-3-8b",
	} {
		got, err := NormaliseModel(in)
		if want == "\u00e5ngstrom" {
			if !errors.Is(err, ErrInvalidModel) {
				t.Errorf("%q: %q %v, want ErrInvalidModel", in, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("NormaliseModel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", " ", "\t", "\u200b", ":latest", "mock\x00-2", "mock-\t2", "mock\u0085x", "m\u043eck-2", strings.Repeat("a", 201)} {
		if got, err := NormaliseModel(in); !errors.Is(err, ErrInvalidModel) {
			t.Errorf("NormaliseModel(%q) = %q, %v; want ErrInvalidModel", in, got, err)
		}
	}
}

func TestModelIn_MatchesNormalised(t *testing.T) {
	if !ModelIn([]string{"GPT-4o"}, "gpt-4o") || !ModelIn([]string{"GPT-*"}, "gpt-4o") || !ModelIn([]string{"*"}, "x") {
		t.Fatal("normalised entries and patterns must match")
	}
	if ModelIn([]string{"gpt-4o"}, "gpt-4o-mini") || ModelIn(nil, "gpt-4o") {
		t.Fatal("matched a model not in the list")
	}
}

// FuzzNormaliseModel: normalising is idempotent, and what it returns is
// printable ASCII.
func FuzzNormaliseModel(f *testing.F) {
	for _, s := range []string{"mock-2", "ＭＯＣＫ-2:latest", "mo\u200bck", "a\x00b", "llama3:8b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormaliseModel(s)
		if err != nil {
			return
		}
		again, err := NormaliseModel(n)
		if err != nil || again != n {
			t.Fatalf("%q → %q → %q, %v", s, n, again, err)
		}
		for _, r := range n {
			if r > unicode.MaxASCII || unicode.IsControl(r) {
				t.Fatalf("%q → %q holds %U", s, n, r)
			}
		}
	})
}

func TestCanonicalScope_MatchesEverySpelling(t *testing.T) {
	facts := RequestFacts{TenantID: "t", Provider: "loop", Model: "mock-2", PolicyID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		APIKeyID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"}
	for _, s := range []Scope{
		{Kind: ScopeModel, Value: " MOCK-2:latest"},
		{Kind: ScopeProvider, Value: "LOOP "},
		{Kind: ScopePolicy, Value: "{0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B}"},
		{Kind: ScopeAPIKey, Value: "urn:uuid:0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5C"},
	} {
		if !CanonicalScope(s).Matches("t", facts) {
			t.Errorf("%+v (canonical %+v) does not stop %+v", s, CanonicalScope(s), facts)
		}
	}
}
