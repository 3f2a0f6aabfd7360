package pii

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzFind checks that Find never panics and always honours its contract (entities within bounds,
// Value equal to the text span, non-overlapping, sorted, scores in range), and that Redact of its
// output never panics and keeps valid UTF-8 valid.
func FuzzFind(f *testing.F) {
	for _, s := range []string{
		"", "+", "(", ")", "@", "a@", "@b.co", "::", ":::", "0x", "eyJ", "eyJ.eyJ.", "-----BEGIN PRIVATE KEY-----",
		"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", "password=", "password is ", "token: '",
		"www.", "http://", "http://[", "http://[::1", "https://a.b/(", "1", "12345678901234567890123456789012345678901",
		"4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00", "536-22-1234", "+1 650-253-0000x", "(415) 555-0132 ext.",
		"+41 (0)44 668 18 00", "+(", "+()", "(12345)", "2024-02-29T10:00:00+", "5th of March", "March 5,", "in 1977",
		"bc1", "bc1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "1111111111111111111111111111", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
		"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "AKIAIOSFODNN7EXAMPLE", "xoxb-", "sk-", "AIza",
		"\xff\xfe\xfd", "zoë@müller.de", "📞 +49 30 901820", "ssn 123 45 6789", "routing 021000021", "NHS 943 476 5919",
		"driver's license D1234567", "account 12345678901", "1.2.3.4.5.6.7.8", "fe80::1%eth0", "::ffff:1.2.3.4",
	} {
		f.Add(s)
	}
	f.Add(benchTypical)
	hash := StyleHash([]byte("fuzz key"))
	f.Fuzz(func(t *testing.T, text string) {
		checkInvariants(t, allDetector, text)
		checkInvariants(t, defaultDetector, text)
		ents := allDetector.Find(text)
		for _, st := range []RedactStyle{StylePlaceholder, StyleMask, hash} {
			out := Redact(text, ents, st)
			if utf8.ValidString(text) && !utf8.ValidString(out) {
				t.Fatalf("Redact produced invalid UTF-8 from %q: %q", text, out)
			}
		}
	})
}

// TestFindPathological runs Find on 32 KB texts made of one repeated trigger: every scanner must stay
// linear, so each run must end far below the limit even on a loaded machine with -race (a quadratic
// scanner takes minutes here). Phone numbers are the most expensive entity: about 10–80 µs each.
func TestFindPathological(t *testing.T) {
	units := []string{
		"1.1.1.1 ", "a@b.co ", "@", ":", "::", "https://a.b/(", "http://x", "www.", "eyJ", "eyJhbGciOiJIUzI1NiJ9.",
		"-----BEGIN RSA PRIVATE KEY-----", "4111111111111111 ", "+1 650-253-0000 ", "password=abc123XYZ! ",
		"9", "1 ", "(1)", "0x", "sk-", "AKIA", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa ", "DE89", "March ", "in 1977 ",
		"phone ", "ssn 536221234 ", "1-", "12/12/2012 ",
	}
	for _, u := range units {
		text := strings.Repeat(u, 32<<10/len(u)+1)
		start := time.Now()
		allDetector.Find(text)
		if el := time.Since(start); el > 10*time.Second {
			t.Errorf("Find on %q×%d took %v", u, len(text)/len(u), el)
		} else if testing.Verbose() {
			t.Logf("%-40q %v", u, el)
		}
	}
}
