// Package sdk_test runs the TypeScript and Python SDKs against a live
// `astra serve` (a separate process, a fresh database, the embedded broker),
// after checking that both SDKs' operation tables were generated from the
// OpenAPI document that server serves: a route added without its SDK method
// fails here.
package sdk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// seedPolicy is the policy the seed's examples name.
const seedPolicy = "prod-policy-001"

func TestSDKs(t *testing.T) {
	testkit.RequireDB(t)
	testkit.RequireTool(t, "node", "npm", "python3")
	cfg := testkit.Config(t)
	cfg.HTTPAddr = "127.0.0.1:" + portOf(testkit.FreePort(t))
	cfg.AllowPrivateURLs = []string{"loopback"}
	p := testkit.StartProcess(t, cfg)
	in := testkit.Remote(t, p.URL)
	admin := in.AdminToken(t)

	up := httptest.NewServer(http.HandlerFunc(upstream))
	t.Cleanup(up.Close)
	// The seed's examples call provider "openai", model "gpt-4o", under policy "prod-policy-001".
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/providers", admin, map[string]any{
		"name": "openai", "kind": "openai_compatible", "base_url": up.URL + "/v1", "models": []string{"gpt-4o"}}); r.Status != http.StatusCreated {
		t.Fatalf("provider: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodPost, "/api/v1/gateway/policies", admin, map[string]any{"name": seedPolicy}); r.Status != http.StatusCreated {
		t.Fatalf("policy: %d %s", r.Status, r.Body)
	}
	key, _ := in.NewAPIKey(t, admin, "sdk tests", "gateway:write", "gateway:read", "trust:read", "trust:write",
		"risk:read", "risk:write", "compliance:read", "compliance:write", "iam:read")

	doc := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(doc, get(t, p.URL+"/api/v1/openapi.json"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := testkit.ModuleRoot(t)
	env := append(os.Environ(), "ASTRA_BASE_URL="+p.URL, "ASTRA_API_KEY="+key, "ASTRA_ADMIN_TOKEN="+admin)

	t.Run("generated from the served document", func(t *testing.T) {
		args := []string{filepath.Join(root, "sdk", "generate.mjs"), doc}
		if os.Getenv("ASTRA_SDK_WRITE") == "" {
			args = append(args, "--check")
		}
		run(t, root, env, 2*time.Minute, "node", args...)
	})
	t.Run("the served document passes redocly lint", func(t *testing.T) {
		dir := filepath.Join(root, "sdk", "openapi-lint")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@redocly", "cli", "package.json")); err != nil {
			run(t, dir, env, 5*time.Minute, "npm", "ci", "--no-audit", "--no-fund")
		}
		run(t, dir, env, 2*time.Minute, "npx", "redocly", "lint", "--config", "redocly.yaml", "--format", "summary", doc)
	})
	t.Run("typescript", func(t *testing.T) {
		dir := filepath.Join(root, "sdk", "typescript")
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "typescript", "package.json")); err != nil {
			run(t, dir, env, 5*time.Minute, "npm", "ci", "--no-audit", "--no-fund")
		}
		run(t, dir, env, 2*time.Minute, "npx", "tsc", "-p", ".")
		run(t, dir, env, 3*time.Minute, "node", "--experimental-websocket", "--test", "--test-concurrency=1", "test/")
	})
	t.Run("python", func(t *testing.T) {
		run(t, filepath.Join(root, "sdk", "python"), env, 3*time.Minute, "/usr/bin/python3", "-m", "unittest", "discover", "-v", "-s", "tests")
	})
}

// upstream is a loopback OpenAI-compatible provider: it answers every chat
// with the last user message echoed.
func upstream(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Content any `json:"content"`
		} `json:"messages"`
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	last := ""
	if n := len(req.Messages); n > 0 {
		last, _ = req.Messages[n-1].Content.(string)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-sdk", "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": "echo: " + last}}},
		"usage":   map[string]any{"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
	})
}

func run(t *testing.T, dir string, env []string, timeout time.Duration, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if testing.Verbose() || err != nil {
		t.Logf("%s %s:\n%s", name, strings.Join(args, " "), out.String())
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

func portOf(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }
