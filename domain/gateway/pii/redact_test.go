package pii

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedactPlaceholder(t *testing.T) {
	text := "Mail ana@example.org, card 4111 1111 1111 1111."
	got := Redact(text, defaultDetector.Find(text), StylePlaceholder)
	if want := "Mail [EMAIL_ADDRESS], card [CREDIT_CARD]."; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if Redact(text, nil, StylePlaceholder) != text {
		t.Fatal("no entities must leave the text unchanged")
	}
}

func TestRedactMask(t *testing.T) {
	cases := []struct{ text, want string }{
		{"card 4111 1111 1111 1111 ok", "card **** **** **** 1111 ok"},
		{"card 4111111111111111 ok", "card ************1111 ok"},
		{"IBAN DE89370400440532013000", "IBAN ******************3000"},
		{"SSN 536-22-1234", "SSN ***-**-1234"},
		{"mail ana@example.org", "mail ***************"}, // other types are masked entirely
	}
	for _, c := range cases {
		if got := Redact(c.text, defaultDetector.Find(c.text), StyleMask); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	// A short account-like value never shows its last four characters.
	short := "x 12345"
	if got := Redact(short, []Entity{{Type: TypeUSBankNumber, Start: 2, End: 7}}, StyleMask); got != "x *****" {
		t.Errorf("short value mask: %q", got)
	}
}

func TestRedactKeyedHash(t *testing.T) {
	key := []byte("tenant-1 secret key, 32 bytes!!!")
	style := StyleHash(key)
	text := "From ana@example.org to bob@example.org, cc ANA@example.org; card 4111 1111 1111 1111 = 4111-1111-1111-1111"
	got := Redact(text, defaultDetector.Find(text), style)
	re := regexp.MustCompile(`\[([A-Z_]+):([0-9a-f]{12})\]`)
	ms := re.FindAllStringSubmatch(got, -1)
	if len(ms) != 5 {
		t.Fatalf("want 5 hash placeholders in %q", got)
	}
	if ms[0][2] == ms[1][2] {
		t.Error("different e-mail addresses got the same placeholder")
	}
	if ms[0][2] != ms[2][2] {
		t.Error("the same e-mail address (different case) got different placeholders")
	}
	if ms[3][1] != TypeCreditCard || ms[3][2] != ms[4][2] {
		t.Error("the same card number written differently got different placeholders")
	}
	// Stable across calls, different under another key, length configurable.
	if Redact(text, defaultDetector.Find(text), style) != got {
		t.Error("keyed hash is not stable")
	}
	other := Redact(text, defaultDetector.Find(text), StyleHash([]byte("another key")))
	if other == got {
		t.Error("a different key gave the same placeholders")
	}
	long := Redact("ana@example.org", defaultDetector.Find("ana@example.org"), RedactStyle{Mode: ModeHash, Key: key, HashLen: 64})
	if !regexp.MustCompile(`^\[EMAIL_ADDRESS:[0-9a-f]{64}\]$`).MatchString(long) {
		t.Errorf("HashLen 64: %q", long)
	}
	// StyleHash copies the key.
	k := []byte("k1")
	s := StyleHash(k)
	k[0] = 'x'
	if string(s.Key) != "k1" {
		t.Error("StyleHash must copy the key")
	}
}

func TestRedactMultibyte(t *testing.T) {
	text := "📞 Zoë: ruf +49 30 901820 an — 谢谢, oder zoë.müller@example.de? ✓"
	ents := defaultDetector.Find(text)
	if len(ents) != 2 || ents[0].Value != "+49 30 901820" || ents[1].Value != "zoë.müller@example.de" {
		t.Fatalf("entities: %+v", ents)
	}
	if text[ents[0].Start:ents[0].End] != "+49 30 901820" || ents[0].Start != strings.Index(text, "+49") {
		t.Fatal("offsets must be byte offsets")
	}
	got := Redact(text, ents, StylePlaceholder)
	if want := "📞 Zoë: ruf [PHONE_NUMBER] an — 谢谢, oder [EMAIL_ADDRESS]? ✓"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	// Masking counts characters, not bytes, and offsets inside a character are widened to it.
	mb := "名前: 山田太郎 です"
	start := strings.Index(mb, "山田太郎")
	got = Redact(mb, []Entity{{Type: "PERSON", Start: start + 1, End: start + 11, Score: 1}}, StyleMask)
	if want := "名前: **** です"; got != want {
		t.Fatalf("mask: got %q want %q", got, want)
	}
	if !utf8.ValidString(got) {
		t.Fatal("invalid UTF-8")
	}
}

func TestRedactOverlapsAndBounds(t *testing.T) {
	text := "abc 0123456789 xyz"
	ents := []Entity{
		{Type: TypeUSBankNumber, Start: 4, End: 14, Score: 0.55},
		{Type: TypePhone, Start: 8, End: 18, Score: 0.9}, // overlaps the first and reaches further
		{Type: TypeEmail, Start: 0, End: 0, Score: 1},    // empty: ignored
		{Type: TypeEmail, Start: -5, End: 2, Score: 0.2}, // clamped to [0, 2)
		{Type: TypeEmail, Start: 30, End: 40, Score: 1},  // outside: ignored
	}
	got := Redact(text, ents, StylePlaceholder)
	// The overlapping pair becomes one span [4, 18) labelled by the higher score.
	if want := "[EMAIL_ADDRESS]c [PHONE_NUMBER]"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	// Unsorted input gives the same result.
	rev := []Entity{ents[4], ents[3], ents[2], ents[1], ents[0]}
	if Redact(text, rev, StylePlaceholder) != got {
		t.Fatal("order of entities changed the result")
	}
	// Nested spans: the outer span is replaced once.
	nested := []Entity{{Type: TypeIBAN, Start: 4, End: 14, Score: 0.9}, {Type: TypeCreditCard, Start: 6, End: 8, Score: 0.5}}
	if got := Redact(text, nested, StylePlaceholder); got != "abc [IBAN_CODE] xyz" {
		t.Fatalf("nested: %q", got)
	}
	if got := Redact(text, []Entity{{Start: 0, End: 3}}, StylePlaceholder); got != "[PII] 0123456789 xyz" {
		t.Fatalf("untyped entity: %q", got)
	}
}

// TestRedactLeavesNoEntity checks that redacting what Find reports leaves nothing for Find to report
// (with the placeholder style, whose output contains no digits or addresses). The name tagger reads
// words in context, and the placeholders change the context, so for names the check is that no name
// found in the text is left readable anywhere in it.
func TestRedactLeavesNoEntity(t *testing.T) {
	patterns := New(WithAllTypes(), WithoutTypes(nameTypes.Names()...))
	for _, text := range []string{benchTypical, bench16K, benchNames} {
		red := Redact(text, patterns.Find(text), StylePlaceholder)
		if left := patterns.Find(red); len(left) > 0 {
			t.Fatalf("entities left after redaction: %+v", left[0])
		}
		ents := allDetector.Find(text)
		red = Redact(text, ents, StylePlaceholder)
		for _, e := range ents {
			if nameTypes.Has(e.Type) && strings.Contains(red, e.Value) {
				t.Errorf("%s %q is still readable after redaction", e.Type, e.Value)
			}
		}
	}
}
