package iam_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/astrabastion/astra/testkit"
)

// refused checks a 403 AUTH-006 whose detail names every one of want.
func refused(t *testing.T, r *testkit.Response, want ...string) {
	t.Helper()
	assertProblem(t, r, http.StatusForbidden, "AUTH-006")
	p := r.Problem(t)
	for _, w := range want {
		if !strings.Contains(p.Detail, w) {
			t.Fatalf("detail %q does not name %q", p.Detail, w)
		}
	}
}

// TestDelegation_NobodyGrantsWhatTheyDoNotHold: a role or a permission is
// granted only by someone holding every permission it carries, nobody changes
// their own roles, whatever route they use.
func TestDelegation_NobodyGrantsWhatTheyDoNotHold(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)

	// A user whose only role is a custom one with iam:read + iam:write.
	r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": "iam_rw", "permissions": []string{"iam:read", "iam:write"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create role: %d %s", r.Status, r.Body)
	}
	rw := in.NewUser(t, admin, "rw@deleg.test", "viewer")
	if r := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+rw.ID+"/roles", admin, map[string]string{"role": "iam_rw"}); r.Status != http.StatusOK {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	if r := in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+rw.ID+"/roles/viewer", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("unassign: %d %s", r.Status, r.Body)
	}
	rwToken := in.Login(t, "rw@deleg.test", password)
	victim := in.NewUser(t, admin, "victim@deleg.test", "developer")

	t.Run("iam:write cannot make itself security_admin", func(t *testing.T) {
		r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+rw.ID, rwToken, map[string]string{"role": "security_admin"})
		refused(t, r)
		if u := getUser(t, in, admin, rw.ID); u.Role != "iam_rw" {
			t.Fatalf("role changed to %q", u.Role)
		}
	})
	t.Run("iam:write cannot create a security_admin", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/users", rwToken,
			map[string]string{"email": "evil@deleg.test", "name": "E", "role": "security_admin", "password": password})
		refused(t, r, "iam:admin", "gateway:admin")
	})
	t.Run("iam:write cannot give another user a stronger role", func(t *testing.T) {
		refused(t, in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+victim.ID, rwToken, map[string]string{"role": "security_admin"}))
	})

	sec := in.NewUser(t, admin, "sec@deleg.test", "security_admin")
	secToken := in.Login(t, "sec@deleg.test", password)
	other := in.NewUser(t, admin, "other@deleg.test", "developer")

	t.Run("security_admin cannot hand out compliance_officer", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/users", secToken,
			map[string]string{"email": "co@deleg.test", "name": "C", "role": "compliance_officer", "password": password})
		refused(t, r, "compliance:admin", "data_gov:admin")
		refused(t, in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+other.ID, secToken, map[string]string{"role": "compliance_officer"}), "compliance:admin")
		refused(t, in.Do(t, http.MethodPost, "/api/v1/iam/users/"+other.ID+"/roles", secToken, map[string]string{"role": "compliance_officer"}), "compliance:admin")
		if u := getUser(t, in, admin, other.ID); u.Role != "developer" {
			t.Fatalf("role changed to %q", u.Role)
		}
	})
	t.Run("security_admin cannot grant platform_admin", func(t *testing.T) {
		refused(t, in.Do(t, http.MethodPost, "/api/v1/iam/users/"+other.ID+"/roles", secToken, map[string]string{"role": "platform_admin"}), "platform_admin")
	})
	t.Run("nobody changes their own roles", func(t *testing.T) {
		refused(t, in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+sec.ID, secToken, map[string]string{"role": "developer"}))
		refused(t, in.Do(t, http.MethodPost, "/api/v1/iam/users/"+sec.ID+"/roles", secToken, map[string]string{"role": "developer"}))
		refused(t, in.Do(t, http.MethodDelete, "/api/v1/iam/users/"+sec.ID+"/roles/security_admin", secToken, nil))
		// Renaming oneself stays allowed.
		if r := in.Do(t, http.MethodPatch, "/api/v1/iam/users/"+sec.ID, secToken, map[string]string{"name": "Sec"}); r.Status != http.StatusOK {
			t.Fatalf("rename self: %d %s", r.Status, r.Body)
		}
	})
	t.Run("custom roles and API keys carry only permissions the creator holds", func(t *testing.T) {
		refused(t, in.Do(t, http.MethodPost, "/api/v1/iam/roles", secToken, map[string]any{"name": "co_clone",
			"permissions": []string{"compliance:admin", "iam:read"}}), "compliance:admin")
		refused(t, in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", secToken, map[string]any{"name": "k",
			"permissions": []string{"data_gov:admin", "gateway:read"}}), "data_gov:admin")
		// A custom role carrying more than the actor holds is not the actor's to change.
		r := in.Do(t, http.MethodPost, "/api/v1/iam/roles", admin, map[string]any{"name": "co_like", "permissions": []string{"compliance:admin"}})
		var role struct {
			ID string `json:"id"`
		}
		r.Data(t, &role)
		refused(t, in.Do(t, http.MethodPatch, "/api/v1/iam/roles/"+role.ID, secToken, map[string]any{"permissions": []string{"iam:read"}}), "compliance:admin")
		refused(t, in.Do(t, http.MethodDelete, "/api/v1/iam/roles/"+role.ID, secToken, nil), "compliance:admin")
		refused(t, in.Do(t, http.MethodPost, "/api/v1/iam/users/"+other.ID+"/roles", secToken, map[string]string{"role": "co_like"}), "compliance:admin")
	})
	t.Run("an SSO default role is a grant too", func(t *testing.T) {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/sso/providers", secToken, map[string]any{"name": "idp", "issuer_url": "https://idp.example.com",
			"client_id": "c", "allowed_domains": []string{"deleg.test"}, "default_role": "compliance_officer"})
		refused(t, r, "compliance:admin")
	})
	t.Run("what the actor holds can still be granted", func(t *testing.T) {
		in.NewUser(t, secToken, "dev@deleg.test", "developer")
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+other.ID+"/roles", secToken, map[string]string{"role": "auditor"}); r.Status != http.StatusOK {
			t.Fatalf("assign auditor: %d %s", r.Status, r.Body)
		}
	})
}

// TestDelegation_NobodyActsOnAStrongerPrincipal: every action on another user
// is refused when that user holds a permission the actor does not, or is a
// platform administrator and the actor is not.
func TestDelegation_NobodyActsOnAStrongerPrincipal(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	me := in.Me(t, admin)
	secUser := in.NewUser(t, admin, "sec@stronger.test", "security_admin")
	sec := in.Login(t, "sec@stronger.test", password)
	officer := in.NewUser(t, admin, "co@stronger.test", "compliance_officer")
	officerToken := in.Login(t, "co@stronger.test", password)
	dev := in.NewUser(t, admin, "dev@stronger.test", "developer")

	key := func(token string, perms ...string) string {
		r := in.Do(t, http.MethodPost, "/api/v1/iam/api-keys", token, map[string]any{"name": "k", "permissions": perms})
		if r.Status != http.StatusCreated {
			t.Fatalf("create key: %d %s", r.Status, r.Body)
		}
		var k struct {
			APIKey struct {
				ID string `json:"id"`
			} `json:"api_key"`
		}
		r.Data(t, &k)
		return k.APIKey.ID
	}
	sessionOf := func(userID string) string {
		r := in.Do(t, http.MethodGet, "/api/v1/iam/sessions?active=true&user_id="+userID, admin, nil)
		var ss []struct {
			ID string `json:"id"`
		}
		r.Data(t, &ss)
		if len(ss) == 0 {
			t.Fatalf("no session of %s", userID)
		}
		return ss[0].ID
	}
	adminKey := key(admin, "iam:admin")
	officerKey := key(officerToken, "compliance:admin")
	baseline := eventsBy(t, in, secUser.ID)

	for _, target := range []struct {
		name, id, key, why string
	}{
		{"platform admin", me.ID, adminKey, "platform_admin"},
		{"compliance officer", officer.ID, officerKey, "compliance:admin"},
	} {
		t.Run(target.name, func(t *testing.T) {
			u := "/api/v1/iam/users/" + target.id
			for _, tc := range []struct {
				name, method, path string
				body               any
			}{
				{"reset MFA", http.MethodPost, u + "/reset-mfa", nil},
				{"revoke sessions", http.MethodDelete, u + "/sessions", nil},
				{"revoke one session", http.MethodDelete, "/api/v1/iam/sessions/" + sessionOf(target.id), nil},
				{"unlock", http.MethodPost, u + "/unlock", nil},
				{"rename", http.MethodPatch, u, map[string]string{"name": "Renamed"}},
				{"change role", http.MethodPatch, u, map[string]string{"role": "developer"}},
				{"assign role", http.MethodPost, u + "/roles", map[string]string{"role": "developer"}},
				{"unassign role", http.MethodDelete, u + "/roles/developer", nil},
				{"deactivate", http.MethodDelete, u, nil},
				{"revoke API key", http.MethodDelete, "/api/v1/iam/api-keys/" + target.key, nil},
				{"rotate API key", http.MethodPost, "/api/v1/iam/api-keys/" + target.key + "/rotate", nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					refused(t, in.Do(t, tc.method, tc.path, sec, tc.body), target.why)
					if n := eventsBy(t, in, secUser.ID); n != baseline {
						t.Fatalf("a refused action recorded %d events", n-baseline)
					}
				})
			}
		})
	}
	// The platform admin keeps working.
	if r := in.Do(t, http.MethodGet, "/api/v1/auth/me", admin, nil); r.Status != http.StatusOK {
		t.Fatalf("admin after the attempts: %d", r.Status)
	}
	t.Run("a weaker user is still managed", func(t *testing.T) {
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+dev.ID+"/unlock", sec, nil); r.Status != http.StatusOK {
			t.Fatalf("unlock developer: %d %s", r.Status, r.Body)
		}
		if r := in.Do(t, http.MethodPost, "/api/v1/iam/users/"+dev.ID+"/reset-mfa", sec, nil); r.Status != http.StatusOK {
			t.Fatalf("reset developer's MFA: %d %s", r.Status, r.Body)
		}
	})
}

// eventsBy counts the events recorded with actor as their actor.
func eventsBy(t *testing.T, in *testkit.Instance, actor string) int {
	t.Helper()
	var n int
	if err := in.Running.Stack.Pool.QueryRow(context.Background(), `SELECT count(*) FROM events WHERE actor = $1`, actor).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
