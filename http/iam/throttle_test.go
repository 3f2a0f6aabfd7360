package iam_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

// clientFrom is an HTTP client whose connections leave from the loopback
// address local (127.0.0.2 …): the server sees another client address
// without any proxy header, which it would not trust anyway.
func clientFrom(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}}
}

type loginAnswer struct {
	status     int
	code       string
	retryAfter string
}

func loginFrom(t *testing.T, in *testkit.Instance, client *http.Client, email, pw string) loginAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	resp, err := client.Post(in.URL+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("login from another address: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var p struct {
		ErrorCode string `json:"error_code"`
	}
	_ = json.Unmarshal(b, &p)
	return loginAnswer{status: resp.StatusCode, code: p.ErrorCode, retryAfter: resp.Header.Get("Retry-After")}
}

// TestLoginThrottle_IsPerSourceAndNeverLocksTheUserOut: twenty bad passwords
// from one address throttle that address only; the user (the platform admin
// included) signs in from another address at once.
func TestLoginThrottle_IsPerSourceAndNeverLocksTheUserOut(t *testing.T) {
	in := testkit.Start(t, nil)
	admin := in.AdminToken(t)
	in.NewUser(t, admin, "victim@throttle.test", "viewer")
	attacker, legit := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")

	for _, account := range []struct{ email, password string }{
		{"victim@throttle.test", testkit.UserPassword},
		{testkit.AdminEmail, testkit.AdminPassword},
	} {
		t.Run(account.email, func(t *testing.T) {
			throttled := 0
			for i := 0; i < 20; i++ {
				a := loginFrom(t, in, attacker, account.email, "wrong-password-000")
				switch {
				case a.status == http.StatusUnauthorized && a.code == "AUTH-004":
				case a.status == http.StatusTooManyRequests && a.code == "RATE-004" && a.retryAfter != "":
					throttled++
				default:
					t.Fatalf("bad login %d: %+v", i, a)
				}
			}
			if throttled == 0 {
				t.Fatal("twenty bad passwords from one address were never throttled")
			}
			start := time.Now()
			if a := loginFrom(t, in, legit, account.email, account.password); a.status != http.StatusOK {
				t.Fatalf("the right password from another address: %+v", a)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("login from another address took %s", d)
			}
			a := loginFrom(t, in, attacker, account.email, account.password)
			if a.status != http.StatusTooManyRequests || a.code != "RATE-004" {
				t.Fatalf("the throttled address with the right password: %+v", a)
			}
			if s, err := strconv.Atoi(a.retryAfter); err != nil || s < 1 {
				t.Fatalf("Retry-After %q", a.retryAfter)
			}
		})
	}
	t.Run("unknown addresses are throttled the same way", func(t *testing.T) {
		last := loginAnswer{}
		for i := 0; i < 6; i++ {
			last = loginFrom(t, in, attacker, "nobody@throttle.test", "wrong-password-000")
		}
		if last.status != http.StatusTooManyRequests || last.code != "RATE-004" {
			t.Fatalf("sixth attempt on an unknown address: %+v", last)
		}
	})
}
