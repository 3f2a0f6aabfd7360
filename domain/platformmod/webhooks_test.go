package platformmod

import (
	"testing"
	"time"
)

// The example of the Standard Webhooks specification (its README's test vector).
func TestSign_StandardWebhooksVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0),
		[]byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}

func TestMatchType(t *testing.T) {
	for _, c := range []struct {
		pattern, typ string
		want         bool
	}{
		{"*", "com.astra.iam.UserCreated", true},
		{"com.astra.iam.*", "com.astra.iam.UserCreated", true},
		{"com.astra.iam.*", "com.astra.iamx.UserCreated", false},
		{"com.astra.iam.UserCreated", "com.astra.iam.UserCreated", true},
		{"com.astra.iam.UserCreated", "com.astra.iam.UserDeleted", false},
		{"com.astra.*", "com.astra.risk.RiskAccepted", true},
	} {
		if got := MatchType(c.pattern, c.typ); got != c.want {
			t.Errorf("MatchType(%q, %q) = %v", c.pattern, c.typ, got)
		}
	}
}

func TestNextDelay_ScheduleScaledWithJitter(t *testing.T) {
	d, ok := NextDelay(1, 1, 0, 0.5)
	if !ok || d != 5*time.Second {
		t.Fatalf("first retry %v %v", d, ok)
	}
	d, _ = NextDelay(2, 0.001, 0.1, 0.999)
	if d < 300*time.Millisecond || d > 330*time.Millisecond {
		t.Fatalf("scaled 5 min with jitter: %v", d)
	}
	if _, ok := NextDelay(Attempts, 1, 0, 0); ok {
		t.Fatal("the schedule has no retry after the last attempt")
	}
}
