package iam_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/testkit"
)

// TestEmail_UniquePerTenant: an address held in one tenant is free in every
// other. Tenant B's admin creating alice@x, which tenant A already has,
// creates a real user of B — answered like any creation, readable, listed,
// able to sign in — while a second alice@x in B is refused (IAM-002).
func TestEmail_UniquePerTenant(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	idA, adminA := in.NewTenant(t, admin, "Alpha")
	idB, adminB := in.NewTenant(t, admin, "Beta")
	const pwA, pwB, shared = "alice-password-in-alpha", "alice-password-in-beta", "one-password-for-both"

	create := func(token, email, pw string) *testkit.Response {
		return in.Do(t, http.MethodPost, "/api/v1/iam/users", token,
			map[string]string{"email": email, "name": "User " + email, "role": "viewer", "password": pw})
	}
	created := func(r *testkit.Response) testkit.User {
		t.Helper()
		if r.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		var u testkit.User
		r.Data(t, &u)
		return u
	}
	shape := func(r *testkit.Response) string {
		var m map[string]any
		r.Data(t, &m)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return strings.Join(keys, ",")
	}

	aliceA := created(create(adminA, "alice@x.test", pwA))
	fresh := create(adminB, "fresh@x.test", pwB)
	r := create(adminB, "alice@x.test", pwB)
	aliceB := created(r)

	t.Run("CreationInAnotherTenantIsReal", func(t *testing.T) {
		if aliceB.TenantID != idB || aliceB.Email != "alice@x.test" || aliceB.ID == aliceA.ID {
			t.Fatalf("created %+v (tenant A's alice is %+v)", aliceB, aliceA)
		}
		if shape(fresh) != shape(r) {
			t.Fatalf("answers differ in shape: %s vs %s", fresh.Body, r.Body)
		}
		for _, h := range []string{"Location", "ETag", "X-Astra-Consistency"} {
			if (fresh.Header.Get(h) == "") != (r.Header.Get(h) == "") {
				t.Fatalf("header %s differs: %q vs %q", h, fresh.Header.Get(h), r.Header.Get(h))
			}
		}
		loc := r.Header.Get("Location")
		got := in.Do(t, http.MethodGet, loc, adminB, nil)
		if got.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", loc, got.Status, got.Body)
		}
		var u testkit.User
		got.Data(t, &u)
		if u.ID != aliceB.ID || u.TenantID != idB || u.Email != "alice@x.test" {
			t.Fatalf("GET %s: %+v", loc, u)
		}
		users, _ := listUsers(t, in, adminB)
		found := false
		for _, u := range users {
			found = found || u.ID == aliceB.ID
		}
		if !found {
			t.Fatal("tenant B's alice is not listed")
		}
		if u := getUser(t, in, adminA, aliceA.ID); u.TenantID != idA || u.Email != "alice@x.test" || u.Version != 1 {
			t.Fatalf("tenant A's alice changed: %+v", u)
		}
		// Neither tenant sees the other's alice.
		assertProblem(t, in.Do(t, http.MethodGet, "/api/v1/iam/users/"+aliceA.ID, adminB, nil), http.StatusNotFound, "IAM-001")
	})

	t.Run("DuplicateWithinTenantIsRefused", func(t *testing.T) {
		assertProblem(t, create(adminB, "alice@x.test", pwB), http.StatusConflict, "IAM-002")
		assertProblem(t, create(adminB, "ALICE@x.test", pwB), http.StatusConflict, "IAM-002")
		assertProblem(t, create(adminA, "alice@x.test", pwA), http.StatusConflict, "IAM-002")
	})

	signIn := func(email, pw, tenant string) *testkit.Response {
		body := map[string]string{"email": email, "password": pw}
		if tenant != "" {
			body["tenant"] = tenant
		}
		return in.Do(t, http.MethodPost, "/api/v1/auth/login", "", body)
	}
	signedIn := func(t *testing.T, r *testkit.Response, userID, tenantID string) {
		t.Helper()
		if r.Status != http.StatusOK {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		var tok struct {
			AccessToken string `json:"access_token"`
			User        struct {
				ID       string `json:"id"`
				TenantID string `json:"tenant_id"`
			} `json:"user"`
		}
		r.Data(t, &tok)
		if tok.User.ID != userID || tok.User.TenantID != tenantID {
			t.Fatalf("signed in as %+v, want user %s of %s", tok.User, userID, tenantID)
		}
		if m := in.Me(t, tok.AccessToken); m.ID != userID || m.TenantID != tenantID {
			t.Fatalf("me: %+v", m)
		}
	}

	t.Run("SignInWithTenant", func(t *testing.T) {
		signedIn(t, signIn("alice@x.test", pwA, idA), aliceA.ID, idA)
		signedIn(t, signIn("alice@x.test", pwB, idB), aliceB.ID, idB)
		signedIn(t, signIn("alice@x.test", pwB, "beta"), aliceB.ID, idB) // by name, any case
		// With a tenant, only that tenant's user counts.
		assertProblem(t, signIn("alice@x.test", pwB, idA), http.StatusUnauthorized, "AUTH-004")
		assertProblem(t, signIn("alice@x.test", pwA, "no-such-tenant"), http.StatusUnauthorized, "AUTH-004")
	})

	t.Run("SignInWithoutTenantThePasswordChooses", func(t *testing.T) {
		signedIn(t, signIn("alice@x.test", pwA, ""), aliceA.ID, idA)
		signedIn(t, signIn("alice@x.test", pwB, ""), aliceB.ID, idB)
		assertProblem(t, signIn("alice@x.test", "neither-of-the-passwords", ""), http.StatusUnauthorized, "AUTH-004")
	})

	t.Run("SamePasswordInTwoTenantsAsksForTenant", func(t *testing.T) {
		carolA := created(create(adminA, "carol@x.test", shared))
		carolB := created(create(adminB, "carol@x.test", shared))
		assertProblem(t, signIn("carol@x.test", shared, ""), http.StatusConflict, "IAM-022")
		signedIn(t, signIn("carol@x.test", shared, "Alpha"), carolA.ID, idA)
		signedIn(t, signIn("carol@x.test", shared, idB), carolB.ID, idB)
	})

	t.Run("PasswordForgotReachesEveryTenant", func(t *testing.T) {
		if r := in.Do(t, http.MethodPost, "/api/v1/auth/password/forgot", "", map[string]string{"email": "alice@x.test"}); r.Status != http.StatusAccepted {
			t.Fatalf("forgot: %d %s", r.Status, r.Body)
		}
		for _, c := range []struct{ tenantID, name, userID string }{{idA, "Alpha", aliceA.ID}, {idB, "Beta", aliceB.ID}} {
			var msg string
			testkit.Eventually(t, 10*time.Second, "the reset mail of "+c.name, func() bool {
				b, err := os.ReadFile(httpiam.PasswordResetFile(in.Cfg.DataDir+"/outbox", "alice@x.test", c.tenantID))
				msg = string(b)
				return err == nil && strings.Contains(msg, "prt_")
			})
			if !strings.Contains(msg, "tenant "+c.name+" ("+c.tenantID+")") {
				t.Fatalf("the message does not name its tenant %s: %s", c.name, msg)
			}
			token := ""
			for _, l := range strings.Split(msg, "\r\n") {
				if strings.HasPrefix(l, "prt_") {
					token = l
				}
			}
			newPw := "reset-password-of-" + strings.ToLower(c.name)
			if r := in.Do(t, http.MethodPost, "/api/v1/auth/password/reset", "", map[string]string{"token": token, "new_password": newPw}); r.Status != http.StatusNoContent {
				t.Fatalf("reset in %s: %d %s", c.name, r.Status, r.Body)
			}
			signedIn(t, signIn("alice@x.test", newPw, c.tenantID), c.userID, c.tenantID)
		}
	})

	t.Run("LegacyClaimCountsInItsTenantOnly", func(t *testing.T) {
		// Before addresses were unique per tenant, claims were one stream per
		// address for the whole installation, naming the holder's tenant.
		h := in.Running.Commands
		legacy := func(email, holder, tenantID string) {
			t.Helper()
			m := hmac.New(sha256.New, h.ClaimKey)
			m.Write([]byte(email))
			stream := "iam.email-" + hex.EncodeToString(m.Sum(nil)[:16])
			_, err := h.Store.Append(context.Background(), eventstore.Metadata{TenantID: tenantID, Actor: "test:legacy"},
				eventstore.StreamAppend{StreamID: stream, Expected: eventstore.AnyVersion, Events: []eventstore.Draft{{
					Type: iam.EmailClaimed, Subject: holder, Data: &iam.EmailClaimedV1{UserID: holder, TenantID: tenantID}}}})
			if err != nil {
				t.Fatal(err)
			}
		}
		legacy("legacy@x.test", aliceA.ID, idA)
		assertProblem(t, create(adminA, "legacy@x.test", pwA), http.StatusConflict, "IAM-002")
		created(create(adminB, "legacy@x.test", pwB))

		// Erasing the holder releases its legacy claim with its own.
		dave := created(create(adminA, "dave@x.test", pwA))
		legacy("dave@x.test", dave.ID, idA)
		if _, err := h.EraseUser(context.Background(), eventstore.Metadata{TenantID: idA, Actor: "test:erase"}, dave.ID, "dave@x.test"); err != nil {
			t.Fatal(err)
		}
		created(create(adminA, "dave@x.test", pwA))
	})
}
