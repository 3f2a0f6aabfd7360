package iam_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/testkit"
)

// lowerQuartile of durations: the full suite runs packages side by side, and
// what they do to this one only ever adds time, so the lower quartile tells a
// path's own cost better than the median does.
func lowerQuartile(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/4]
}

// timedPost sends one JSON POST from client and returns how long the answer took.
func timedPost(t *testing.T, client *http.Client, url string, body any) (time.Duration, int) {
	t.Helper()
	b, _ := json.Marshal(body)
	start := time.Now()
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return time.Since(start), resp.StatusCode
}

// TestTiming_DoesNotTellWhichAddressesExist: login with a wrong password and
// password-forgot take about as long for an address that has an account as
// for one that has none (lower quartiles of 20, alternating, within 1.5×). A
// security property, not a benchmark: the bound is loose, the difference it
// catches (a skipped argon2id check, work done only for real accounts) is
// not. A difference must show in each of three measurements to fail the
// test: a real leak does, a burst of load from other packages does not.
func TestTiming_DoesNotTellWhichAddressesExist(t *testing.T) {
	// At the production cost: the check that must not be skipped is what
	// this test times.
	cfg := testkit.Config(t)
	cfg.PasswordCost = cmdiam.ProductionPasswordCost
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	in.NewUser(t, admin, "exists@timing.test", "viewer")
	const n = 20

	measure := func(t *testing.T, path string, body func(email string, i int) any, client func(i int) *http.Client) (known, unknown time.Duration) {
		var ks, us []time.Duration
		for i := 0; i < n+2; i++ {
			c := client(i)
			order := []string{"exists@timing.test", fmt.Sprintf("nobody-%d@timing.test", i)}
			if i%2 == 1 {
				order[0], order[1] = order[1], order[0]
			}
			for _, email := range order {
				d, status := timedPost(t, c, in.URL+path, body(email, i))
				time.Sleep(50 * time.Millisecond) // let background work of one request end before the next is timed
				if status >= 500 || status == http.StatusTooManyRequests {
					t.Fatalf("%s for %s: %d", path, email, status)
				}
				if i < 2 {
					continue // warm-up: connections, caches
				}
				if email == "exists@timing.test" {
					ks = append(ks, d)
				} else {
					us = append(us, d)
				}
			}
		}
		return lowerQuartile(ks), lowerQuartile(us)
	}
	ratio := func(a, b time.Duration) float64 {
		if a < b {
			a, b = b, a
		}
		return float64(a) / float64(b)
	}

	// holds fails unless one of three measurements is within 1.5×.
	holds := func(t *testing.T, what string, measure func(attempt int) (known, unknown time.Duration)) {
		var msgs []string
		for attempt := 0; attempt < 3; attempt++ {
			k, u := measure(attempt)
			t.Logf("%s: lower quartile %s with an account, %s without", what, k, u)
			r := ratio(k, u)
			if r <= 1.5 {
				return
			}
			msgs = append(msgs, fmt.Sprintf("%.2f× (%s with an account, %s without)", r, k, u))
		}
		t.Fatalf("%s takes longer one way in every measurement: %v", what, msgs)
	}

	t.Run("login", func(t *testing.T) {
		// Each round from its own loopback address, so that the sign-in
		// throttle (per account and address) never answers instead.
		holds(t, "login", func(attempt int) (time.Duration, time.Duration) {
			return measure(t, "/api/v1/auth/login", func(email string, i int) any {
				return map[string]string{"email": email, "password": "wrong-password-000"}
			}, func(i int) *http.Client { return clientFrom(fmt.Sprintf("127.0.%d.%d", attempt, 10+i)) })
		})
	})
	t.Run("password forgot", func(t *testing.T) {
		holds(t, "password-forgot", func(int) (time.Duration, time.Duration) {
			return measure(t, "/api/v1/auth/password/forgot", func(email string, i int) any {
				return map[string]string{"email": email}
			}, func(int) *http.Client { return http.DefaultClient })
		})
	})
}
