package auth

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
	"time"
)

// TestVerifyRemembersTokensUntilTheyExpire: a verified token is answered from
// memory with a principal of its own (callers mutate it), a tampered one never
// is, and once expired the cache does not vouch for it.
func TestVerifyRemembersTokensUntilTheyExpire(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := NewSigner(key, "iss", "aud")
	now := time.Now()
	s.now = func() time.Time { return now }
	tok, exp, err := s.Issue(Principal{Subject: "u1", TenantID: "t1", Role: "admin", Permissions: []string{"a", "b"}, SessionID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	first.ActingTenant, first.Permissions[0] = "other", "x"
	second, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if second.ActingTenant != "t1" || second.Permissions[0] != "a" || second.Subject != "u1" || second.SessionID != "s1" {
		t.Fatalf("cached principal was changed through an earlier answer: %+v", second)
	}
	if len(s.verified) != 1 {
		t.Fatalf("%d cached tokens, want 1", len(s.verified))
	}
	tampered := []byte(tok)
	tampered[len(tampered)-5] ^= 1 // still base64url, another signature
	if _, err := s.Verify(string(tampered)); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("tampered signature: %v", err)
	}
	now = exp.Add(time.Minute)
	if _, err := s.Verify(tok); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("expired token: %v, want ErrTokenExpired", err)
	}
}

// BenchmarkVerify compares a token's first verification (RS256) with the
// cached answer every later request gets.
func BenchmarkVerify(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	s := NewSigner(key, "iss", "aud")
	tok, _, err := s.Issue(Principal{Subject: "u1", TenantID: "t1", Role: "admin", Permissions: []string{"gateway:write"}})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rs256", func(b *testing.B) {
		for range b.N {
			if _, _, err := s.verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		for range b.N {
			if _, err := s.Verify(tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}
