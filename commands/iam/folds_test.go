package iam

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
)

// history builds a stream's events from (type, payload) pairs, one second apart.
func history(t *testing.T, pairs ...any) []eventstore.Event {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []eventstore.Event
	for i := 0; i < len(pairs); i += 2 {
		data, err := json.Marshal(pairs[i+1])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, eventstore.Event{Type: pairs[i].(events.Type).CEType(), Data: data,
			Version: int64(i/2 + 1), Time: start.Add(time.Duration(i/2) * time.Second)})
	}
	return out
}

func TestAuthFold_FailuresDuringALockDoNotExtendItAndMfaResetForgetsTheSecret(t *testing.T) {
	var s iam.AuthState
	err := authFold.Apply(&s, history(t,
		iam.LoginFailed, &iam.LoginFailedV1{UserID: "u", Reason: "bad_password"},
		iam.UserLocked, &iam.UserLockedV1{UserID: "u"},
		iam.LoginFailed, &iam.LoginFailedV1{UserID: "u", Reason: "locked"},
		iam.LoginFailed, &iam.LoginFailedV1{UserID: "u", Reason: "bad_mfa_code"},
		iam.MfaEnrollmentStarted, &iam.MfaEnrollmentStartedV1{UserID: "u", Secret: "sealed"},
		iam.MfaEnrolled, &iam.MfaEnrolledV1{UserID: "u"},
		iam.MfaCodeUsed, &iam.MfaCodeUsedV1{UserID: "u", Step: 42},
		iam.MfaCodeUsed, &iam.MfaCodeUsedV1{UserID: "u", Step: 41},
		iam.MfaReset, &iam.MfaDisabledV1{UserID: "u"},
		iam.PasswordResetRequested, &iam.PasswordResetRequestedV1{UserID: "u", ResetID: "r1"},
		iam.PasswordReset, &iam.PasswordChangedV1{UserID: "u", PasswordHash: "h2", ResetID: "r1"},
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Failures) != 1 {
		t.Fatalf("failures %v: the lock cleared them and a refusal during it adds none", s.Failures)
	}
	if s.MfaEnrolled || s.MfaSecret != "" || s.LastMfaStep != 42 {
		t.Fatalf("after MFA reset: enrolled %v secret %q last step %d (a used step is never forgotten)", s.MfaEnrolled, s.MfaSecret, s.LastMfaStep)
	}
	if s.PasswordHash != "h2" || !s.UsedResets["r1"] {
		t.Fatalf("password reset: hash %q used %v", s.PasswordHash, s.UsedResets)
	}
}

func TestUserFold_RolesAndStatusFollowTheStream(t *testing.T) {
	var u iam.User
	err := userFold.Apply(&u, history(t,
		iam.UserCreated, &iam.UserCreatedV1{UserID: "u", TenantID: "t", Role: iam.RoleViewer, Status: iam.StatusActive},
		iam.RoleAssigned, &iam.RoleAssignmentV1{UserID: "u", Role: "auditor"},
		iam.RoleAssigned, &iam.RoleAssignmentV1{UserID: "u", Role: "analyst"},
		iam.RoleUnassigned, &iam.RoleAssignmentV1{UserID: "u", Role: iam.RoleViewer},
		iam.UserDeactivated, &iam.UserDeactivatedV1{UserID: "u"},
	))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(u.Roles(), []string{"auditor", "analyst"}) || u.Status != iam.StatusDeactivated || u.TenantID != "t" || u.Erased {
		t.Fatalf("user %+v roles %v", u, u.Roles())
	}
	if !u.Holds("analyst") || u.Holds(iam.RoleViewer) {
		t.Fatalf("holds: %v", u.Roles())
	}
}

func TestSessionFold_RotatedTokensAreRemembered(t *testing.T) {
	var s sessionState
	err := sessionFold.Apply(&s, history(t,
		iam.UserLoggedIn, &iam.UserLoggedInV1{UserID: "u", SessionID: "s", RefreshHash: "h1"},
		iam.SessionRefreshed, &iam.SessionRefreshedV1{SessionID: "s", UserID: "u", RefreshHash: "h2"},
		iam.SessionRefreshed, &iam.SessionRefreshedV1{SessionID: "s", UserID: "u", RefreshHash: "h3"},
	))
	if err != nil {
		t.Fatal(err)
	}
	if s.Current != "h3" || !s.Previous["h1"] || !s.Previous["h2"] || s.Previous["h3"] || s.Revoked {
		t.Fatalf("session %+v", s)
	}
}
