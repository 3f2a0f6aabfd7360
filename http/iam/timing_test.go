package iam_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// median of durations.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
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
// for one that has none (medians of 20, alternating, within 1.5×). A security
// property, not a benchmark: the bound is loose, the difference it catches
// (a skipped argon2id check, work done only for real accounts) is not.
func TestTiming_DoesNotTellWhichAddressesExist(t *testing.T) {
	in := testkit.Start(t, nil)
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
				time.Sleep(25 * time.Millisecond) // let background work of one request end before the next is timed
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
		return median(ks), median(us)
	}
	ratio := func(a, b time.Duration) float64 {
		if a < b {
			a, b = b, a
		}
		return float64(a) / float64(b)
	}

	t.Run("login", func(t *testing.T) {
		// Each round from its own loopback address, so that the sign-in
		// throttle (per account and address) never answers instead.
		k, u := measure(t, "/api/v1/auth/login", func(email string, i int) any {
			return map[string]string{"email": email, "password": "wrong-password-000"}
		}, func(i int) *http.Client { return clientFrom(fmt.Sprintf("127.0.0.%d", 10+i)) })
		t.Logf("login: median %s with an account, %s without", k, u)
		if r := ratio(k, u); r > 1.5 {
			t.Fatalf("login takes %.2f× as long one way: %s with an account, %s without", r, k, u)
		}
	})
	t.Run("password forgot", func(t *testing.T) {
		k, u := measure(t, "/api/v1/auth/password/forgot", func(email string, i int) any {
			return map[string]string{"email": email}
		}, func(int) *http.Client { return http.DefaultClient })
		t.Logf("forgot: median %s with an account, %s without", k, u)
		if r := ratio(k, u); r > 1.5 {
			t.Fatalf("password-forgot takes %.2f× as long one way: %s with an account, %s without", r, k, u)
		}
	})
}
