package pii

import (
	"testing"
)

// TestFind_SeesThroughUnicodeTricks writes entities in full-width characters, with zero-width
// characters between their characters and with look-alike letters, and checks that each is found
// with exactly the original span of the rewritten value, and that redaction removes exactly those
// characters (no invisible character of the value survives, none outside it is taken).
func TestFind_SeesThroughUnicodeTricks(t *testing.T) {
	cases := []struct{ typ, before, value, after string }{
		{TypeEmail, "write to ", "jordan.miles@example.com", " today"},
		{TypeCreditCard, "card ", "4111 1111 1111 1111", " exp soon"},
		{TypePhone, "call me at ", "+44 20 7946 0958", " after six"},
		{TypeUSSSN, "my SSN is ", "536-22-1234", "."},
		{TypeIBAN, "IBAN ", "DE89 3704 0044 0532 0130 00", " please"},
		{TypeIPAddress, "the server at ", "203.0.113.54", " is down"},
		{TypeURL, "see ", "https://northwind.example.com/help", " now"},
		{TypeUSDriverLicense, "driver's license ", "D1234567", " expired"},
	}
	for _, tr := range transforms {
		for _, c := range cases {
			text := c.before + c.value + c.after
			x := tr.apply(text)
			start, end := x.span(len(c.before), len(c.before)+len(c.value))
			var got []Entity
			for _, e := range allDetector.Find(x.text) {
				if e.Type == c.typ {
					got = append(got, e)
				}
			}
			if len(got) != 1 || got[0].Start != start || got[0].End != end {
				t.Errorf("%s %s in %q: want [%d,%d) %q, got %+v", tr.name, c.typ, x.text, start, end, x.text[start:end], got)
				continue
			}
			want := x.text[:start] + "[" + c.typ + "]" + x.text[end:]
			if red := Redact(x.text, got, StylePlaceholder); red != want {
				t.Errorf("%s %s: redacted %q, want %q", tr.name, c.typ, red, want)
			}
		}
	}
}

func TestFind_MixedTricksAndPlainText(t *testing.T) {
	cases := []struct {
		text, typ, want string
	}{
		// Look-alikes inside an otherwise Latin address, full-width digits, a soft hyphen.
		{"mail jоhn.dое@ехаmple.com now", TypeEmail, "jоhn.dое@ехаmple.com"},
		{"card ４１１１ １１１１ １１１１ １１１１ ok", TypeCreditCard, "４１１１ １１１１ １１１１ １１１１"},
		{"SSN 536\u00ad-22-12\u200b34 ok", TypeUSSSN, "536\u00ad-22-12\u200b34"},
		{"IBAN DЕ89 3704 0044 0532 0130 00", TypeIBAN, "DЕ89 3704 0044 0532 0130 00"},
		// Unicode hyphens and a non-breaking space.
		{"call 415‐555‐0132 now", TypePhone, "415‐555‐0132"},
		{"tel\u00a0+44\u00a020\u00a07946\u00a00958", TypePhone, "+44\u00a020\u00a07946\u00a00958"},
		// Cyrillic words around an address keep their letters.
		{"пишите Ивану: ivan.petrov@example.ru", TypeEmail, "ivan.petrov@example.ru"},
	}
	for _, c := range cases {
		got := found(allDetector, c.text, c.typ)
		if len(got) != 1 || got[0].Value != c.want {
			t.Errorf("%s in %q: want %q, got %+v", c.typ, c.text, c.want, got)
		}
	}
}

func TestFolding(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain ASCII text", "plain ASCII text"},
		{"ｆｕｌｌ\u3000ｗｉｄｔｈ", "full width"},
		{"z\u200be\u200cr\u200do\u2060\ufeffw", "zerow"},
		{"Сосо and Москва", "Coco and Москва"}, // all look-alikes folds; a Russian word does not
		{"pаypаl.com", "paypal.com"},
		{"ﬁle ①", "file 1"},
	}
	var f folding
	for _, c := range cases {
		got := f.fold(c.in)
		if got != c.want {
			t.Errorf("fold(%q) = %q, want %q", c.in, got, c.want)
		}
		if f.identity {
			continue
		}
		// Every byte maps into the original, monotonically.
		for i := range got {
			s, e := f.span(i, i+1)
			if s < 0 || e > len(c.in) || s >= e || (i > 0 && s < int(f.starts[i-1])) {
				t.Fatalf("fold(%q): byte %d maps to [%d,%d)", c.in, i, s, e)
			}
		}
	}
	if got := fmtFold("Cafe\u0301"); got != "Caf\u00e9" {
		t.Errorf("NFKC composes a combining accent: %q", got)
	}
}

func fmtFold(s string) string {
	var f folding
	return f.fold(s)
}
