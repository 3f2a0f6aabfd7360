package gateway_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// openaiChat posts to the OpenAI drop-in (answers in OpenAI's shape, so not
// validated against the problem schema) and returns status and error code.
func openaiChat(t *testing.T, in *testkit.Instance, token, model string, headers ...string) (int, string, *testkit.Response) {
	t.Helper()
	r := in.DoRaw(t, http.MethodPost, "/api/v1/gateway/openai/v1/chat/completions", token, map[string]any{"model": model,
		"messages": []map[string]string{{"role": "user", "content": "hello"}}}, headers...)
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
		ErrorCode string `json:"error_code"`
	}
	_ = json.Unmarshal(r.Body, &body)
	code := body.Error.Code
	if code == "" {
		code = body.ErrorCode
	}
	return r.Status, code, r
}

// TestModelKillSwitch_MatchesEverySpellingOfTheModel: model ids are
// normalised (format characters removed, NFKC, case-folded, trimmed,
// ":latest" dropped) before kill switches, allow-lists and the provider's
// model list see them, so no spelling of a killed model gets past its switch,
// on the envelope endpoint and the OpenAI drop-in alike; control characters
// are refused with 400; a provider only takes the models it declares unless
// it allows any.
func TestModelKillSwitch_MatchesEverySpellingOfTheModel(t *testing.T) {
	in := startLoopbackInstance(t)
	admin := in.AdminToken(t)
	_, ta := in.NewTenant(t, admin, "Models")
	lb := newLoopback(t, "loop", "Loop-Chat", "loop-other")
	registerLoopback(t, in, ta, lb, "", map[string]any{"max_retries": 0})
	anyModel := newLoopback(t, "anything", "declared-only")
	registerLoopback(t, in, ta, anyModel, "", map[string]any{"max_retries": 0, "allow_any_model": true})

	activate := func(t *testing.T, kind, value string) {
		t.Helper()
		r := in.Do(t, http.MethodPost, "/api/v1/gateway/kill-switch/activate", ta, map[string]any{"scope": map[string]string{"kind": kind, "value": value}, "reason": "normalisation test"})
		wantStatus(t, r, http.StatusCreated)
	}
	activate(t, "model", "mock-2")
	// A switch given in another spelling is stored, and matched, canonically.
	activate(t, "model", "LOOP-OTHER:latest")

	variants := map[string]string{
		"exact":                  "mock-2",
		"upper case":             "MOCK-2",
		"mixed case":             "Mock-2",
		"trailing space":         "mock-2 ",
		"leading space":          " mock-2",
		"trailing tab":           "mock-2\t",
		"trailing newline":       "mock-2\n",
		"no-break space":         "mock-2\u00a0",
		"zero-width space":       "mo\u200bck-2",
		"zero-width joiner":      "mock\u200d-2",
		"byte order mark":        "\ufeffmock-2",
		"soft hyphen":            "mock\u00ad-2",
		"word joiner":            "mock-\u20602",
		"variation selector":     "mock-2\ufe0f",
		"full-width letters":     "ｍｏｃｋ-２",
		"full-width hyphen":      "mock－2",
		":latest":                "mock-2:latest",
		":LATEST upper case":     "MOCK-2:LATEST",
		":latest and whitespace": " mock-2:latest ",
		"everything at once":     "\u200bＭｏｃＫ-2:Latest\t",
	}
	t.Run("every spelling of a killed model is stopped", func(t *testing.T) {
		for name, model := range variants {
			t.Run(name, func(t *testing.T) {
				wantProblem(t, chatWith(t, in, ta, "mock", model, "hello", nil), http.StatusServiceUnavailable, "GW-001")
				// Unprefixed, no provider of the tenant offers it: not found (the mock answers only when named).
				if status, code, r := openaiChat(t, in, ta, model); status != http.StatusNotFound || code != "model_not_found" {
					t.Fatalf("drop-in: %d %s: %s", status, code, r.Body)
				}
				if status, code, r := openaiChat(t, in, ta, "mock/"+model); status != http.StatusServiceUnavailable || code != "GW-001" {
					t.Fatalf("drop-in with a provider prefix: %d %s: %s", status, code, r.Body)
				}
			})
		}
		// The switch given as LOOP-OTHER:latest stops loop-other on its provider.
		wantProblem(t, chatWith(t, in, ta, "loop", "loop-other", "hello", nil), http.StatusServiceUnavailable, "GW-001")
		wantProblem(t, chatWith(t, in, ta, "loop", "Loop-Other ", "hello", nil), http.StatusServiceUnavailable, "GW-001")
		// Other models are not stopped.
		okChat(t, in, ta, "mock", "mock-3", "hello", nil)
	})

	t.Run("control characters in a model id are refused with 400", func(t *testing.T) {
		for _, model := range []string{"mock\x00-2", "mock-\x1b2", "mock-\t2", "mock\u00852", "mock-2\x7f", "\t", "\u200b"} {
			r := chatWith(t, in, ta, "mock", model, "hello", nil)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("model %q: %d %s", model, r.Status, r.Body)
			}
			if status, _, r := openaiChat(t, in, ta, model); status != http.StatusBadRequest {
				t.Fatalf("drop-in, model %q: %d %s", model, status, r.Body)
			}
		}
		// Nor does a refused id stop the request log (Postgres text holds no NUL).
		r := chatWith(t, in, ta, "mock", "mock-small", "after the NUL", nil)
		wantStatus(t, r, http.StatusOK)
		var out chatOut
		r.Data(t, &out)
		awaitRequest(t, in, ta, out.Security.RequestID)
		// Homoglyphs from other scripts cannot name a model either.
		if r := chatWith(t, in, ta, "mock", "m\u043eck-2", "hello", nil); r.Status != http.StatusBadRequest {
			t.Fatalf("Cyrillic o: %d %s", r.Status, r.Body)
		}
	})

	t.Run("a provider takes only the models it declares", func(t *testing.T) {
		// Matched normalised, sent in the provider's own spelling.
		out := okChat(t, in, ta, "loop", "LOOP-CHAT:latest", "hello", nil)
		if !strings.Contains(out.Choices[0].Message.Content, "loopback(Loop-Chat)") {
			t.Fatalf("the provider was not sent its own spelling of the model: %+v", out.Choices)
		}
		wantProblem(t, chatWith(t, in, ta, "loop", "gpt-4o", "hello", nil), http.StatusNotFound, "GW-020")
		if status, code, r := openaiChat(t, in, ta, "loop/gpt-4o"); status != http.StatusNotFound || code != "model_not_found" {
			t.Fatalf("drop-in: %d %s: %s", status, code, r.Body)
		}
		// A provider that allows any model takes any.
		okChat(t, in, ta, "anything", "some-new-model", "hello", nil)
		var p providerOut
		in.Do(t, http.MethodGet, "/api/v1/gateway/providers/anything", ta, nil).Data(t, &p)
		if p.Settings["allow_any_model"] != true {
			t.Fatalf("settings %+v", p.Settings)
		}
		// A switch on a model of an allow-any provider holds for every spelling as well.
		activate(t, "model", "some-new-model")
		wantProblem(t, chatWith(t, in, ta, "anything", "SOME-NEW-MODEL", "hello", nil), http.StatusServiceUnavailable, "GW-001")
	})

	t.Run("a provider switch matches the provider's name in any case", func(t *testing.T) {
		activate(t, "provider", " ANYTHING ")
		wantProblem(t, chatWith(t, in, ta, "anything", "whatever", "hello", nil), http.StatusServiceUnavailable, "GW-001")
		if status, code, r := openaiChat(t, in, ta, "anything/whatever"); status != http.StatusServiceUnavailable || code != "GW-001" {
			t.Fatalf("drop-in: %d %s: %s", status, code, r.Body)
		}
	})

	t.Run("allow-lists match normalised models", func(t *testing.T) {
		pol := createPolicy(t, in, ta, map[string]any{"name": "only-mock-small", "allowed_models": []string{"mock-small"}})
		okChat(t, in, ta, "mock", "MOCK-SMALL", "hello", map[string]any{"policy_id": pol.ID})
		wantProblem(t, chatWith(t, in, ta, "mock", "mock-large", "hello", map[string]any{"policy_id": pol.ID}), http.StatusForbidden, "GW-002")
	})
}
