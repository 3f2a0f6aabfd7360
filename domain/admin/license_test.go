package admin

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func terms(now time.Time) License {
	return License{ID: "lic-1", Licensee: "Example Corp", Plan: "enterprise", Seats: 25, Modules: []string{"gateway", "trust"},
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(30 * 24 * time.Hour), GraceDays: 14}
}

func TestLicense_SignedFileVerifiesOnlyAgainstItsKeyAndTerms(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	otherPub, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	file, err := SignLicense(terms(now), priv)
	if err != nil {
		t.Fatal(err)
	}
	l, keyID, err := VerifyLicense(file, []ed25519.PublicKey{otherPub, pub}, now)
	if err != nil || keyID != KeyID(pub) || l.Plan != "enterprise" || l.Seats != 25 {
		t.Fatalf("verify: %v %s %+v", err, keyID, l)
	}
	if _, _, err := VerifyLicense(file, []ed25519.PublicKey{otherPub}, now); !errors.Is(err, ErrLicenseSignature) {
		t.Fatalf("another key: %v", err)
	}
	// Changed terms under the same signature: forged.
	var f LicenseFile
	_ = json.Unmarshal(file, &f)
	forged := terms(now)
	forged.Seats = 100000
	payload, _ := json.Marshal(forged)
	f.Payload = base64.StdEncoding.EncodeToString(payload)
	tampered, _ := json.Marshal(f)
	if _, _, err := VerifyLicense(tampered, []ed25519.PublicKey{pub}, now); !errors.Is(err, ErrLicenseSignature) {
		t.Fatalf("tampered terms: %v", err)
	}
	// A signature made by another key, presented as the trusted one's.
	other, _ := SignLicense(terms(now), otherPriv)
	if _, _, err := VerifyLicense(other, []ed25519.PublicKey{pub}, now); !errors.Is(err, ErrLicenseSignature) {
		t.Fatalf("foreign key: %v", err)
	}
	for name, tc := range map[string]struct {
		file []byte
		want error
	}{
		"not json":      {[]byte("hello"), ErrLicenseMalformed},
		"other format":  {[]byte(`{"format":"x","payload":"","signature":""}`), ErrLicenseMalformed},
		"bad signature": {[]byte(`{"format":"astra-license/1","payload":"e30=","signature":"AAAA"}`), ErrLicenseMalformed},
		"too large":     {[]byte(strings.Repeat(" ", MaxLicenseFile+1)), ErrLicenseMalformed},
	} {
		if _, _, err := VerifyLicense(tc.file, []ed25519.PublicKey{pub}, now); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	// Expiry: within the grace period it installs; past it, or not yet valid, not.
	if _, _, err := VerifyLicense(file, []ed25519.PublicKey{pub}, now.Add(35*24*time.Hour)); err != nil {
		t.Fatalf("in grace: %v", err)
	}
	if _, _, err := VerifyLicense(file, []ed25519.PublicKey{pub}, now.Add(45*24*time.Hour)); !errors.Is(err, ErrLicenseExpired) {
		t.Fatalf("past grace: %v", err)
	}
	if _, _, err := VerifyLicense(file, []ed25519.PublicKey{pub}, now.Add(-2*time.Hour)); !errors.Is(err, ErrLicenseNotYetValid) {
		t.Fatalf("future: %v", err)
	}
	bad := terms(now)
	bad.Modules = nil
	if _, err := SignLicense(bad, priv); !errors.Is(err, ErrLicenseInvalid) {
		t.Fatalf("no modules: %v", err)
	}
}

func TestLicensing_EnforcesModulesUntilTheGracePeriodEnds(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var l Licensing
	if e, err := l.Check("compliance", now); err != nil || e.Status != LicenseCommunity {
		t.Fatalf("community edition: %+v %v", e, err)
	}
	l.Install(&LicenseInstalledV1{License: terms(now)}, 1, now, "admin")
	cases := []struct {
		at      time.Time
		module  string
		status  string
		refused bool
		warns   bool
	}{
		{now, "gateway", LicenseActive, false, false},
		{now, "compliance", LicenseActive, true, false},
		{now, "iam", LicenseActive, false, false},
		{now, "admin", LicenseActive, false, false},
		{now.Add(31 * 24 * time.Hour), "gateway", LicenseGrace, false, true},
		{now.Add(31 * 24 * time.Hour), "compliance", LicenseGrace, true, true},
		{now.Add(45 * 24 * time.Hour), "compliance", LicenseExpired, false, false},
	}
	for _, tc := range cases {
		e, err := l.Check(tc.module, tc.at)
		if e.Status != tc.status || errors.Is(err, ErrModuleNotLicensed) != tc.refused || (e.Warning != "") != tc.warns {
			t.Fatalf("%s at %s: %+v %v", tc.module, tc.at, e, err)
		}
	}
	if l.Install(&LicenseInstalledV1{License: terms(now)}, 1, now, "admin") {
		t.Fatal("the same installation applied twice")
	}
}
