package pii

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var (
	defaultDetector = New()
	allDetector     = New(WithAllTypes())
)

// found returns the entities of type typ that d finds in text.
func found(d *Detector, text, typ string) []Entity {
	var out []Entity
	for _, e := range d.Find(text) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

type recCase struct {
	text string
	want string // the expected value of the single entity of the type, "" for none
}

func runCases(t *testing.T, d *Detector, typ string, cases []recCase) {
	t.Helper()
	for _, c := range cases {
		got := found(d, c.text, typ)
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s in %q: want none, got %q (score %.2f, %s)", typ, c.text, got[0].Value, got[0].Score, got[0].Recognizer)
		case c.want != "" && (len(got) != 1 || got[0].Value != c.want):
			t.Errorf("%s in %q: want %q, got %+v", typ, c.text, c.want, got)
		}
	}
}

// withLuhn appends the Luhn check digit to a digit string.
func withLuhn(body string) string {
	for c := byte('0'); c <= '9'; c++ {
		if luhn([]byte(body + string(c))) {
			return body + string(c)
		}
	}
	panic("unreachable")
}

func TestCreditCard(t *testing.T) {
	// Published test numbers of the card networks and payment processors.
	valid := []string{
		"4111111111111111", "4012888888881881", "4222222222222", "5555555555554444", "5105105105105100",
		"2223000048400011", "378282246310005", "371449635398431", "6011111111111117", "6011000990139424",
		"30569309025904", "38520000023237", "3530111333300000", "3566002020360505", "6200000000000005",
		"6759649826438453",
	}
	var cases []recCase
	for _, v := range valid {
		cases = append(cases, recCase{"charge it to " + v + " please", v})
	}
	unknownIIN := withLuhn("700000000000001")
	cases = append(cases,
		recCase{"Visa: 4111 1111 1111 1111, exp 12/27", "4111 1111 1111 1111"},
		recCase{"card 4111-1111-1111-1111 cvv 123", "4111-1111-1111-1111"},
		recCase{"Amex 3782 822463 10005.", "3782 822463 10005"},
		recCase{"4111 1111 1111 1111 12 27", "4111 1111 1111 1111"}, // trailing expiry digits
		recCase{"number 4111111111111112", ""},                      // Luhn fails
		recCase{"number 0000000000000000", ""},                      // all zeros pass Luhn but are not a card
		recCase{"id 123456789012345678901234", ""},                  // too long
		recCase{"order 4111111111111111abc", ""},                    // glued to a word
		recCase{"pi is 3.4111111111111111", ""},                     // part of a decimal
		recCase{"ref " + unknownIIN, ""},                            // Luhn-valid, unknown issuer, no context
		recCase{"my credit card is " + unknownIIN, unknownIIN},      // … with context
		recCase{"1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6", ""},              // a list of digits
	)
	runCases(t, defaultDetector, TypeCreditCard, cases)

	e := found(defaultDetector, "my visa card is 4111 1111 1111 1111", TypeCreditCard)
	if len(e) != 1 || e[0].Score != 1 {
		t.Fatalf("context should raise the card score to 1: %+v", e)
	}
	e = found(defaultDetector, "ref 4111 1111 1111 1111", TypeCreditCard)
	if len(e) != 1 || e[0].Score != scoreCard {
		t.Fatalf("card without context should keep its base score: %+v", e)
	}
}

func TestIBAN(t *testing.T) {
	// Examples of the IBAN registry and national banking associations.
	valid := []string{
		"DE89 3704 0044 0532 0130 00", "GB82 WEST 1234 5698 7654 32", "FR14 2004 1010 0505 0001 3M02 606",
		"NL91ABNA0417164300", "BE68539007547034", "CH9300762011623852957", "NO9386011117947",
		"MT84MALT011000012345MTLCAST001S", "LC55HEMM000100010012001200023015", "ES9121000418450200051332",
		"IT60X0542811101000000123456", "PL61109010140000071219812874", "gb82west12345698765432",
	}
	var cases []recCase
	for _, v := range valid {
		cases = append(cases, recCase{"pay to " + v + ", thanks", v})
	}
	cases = append(cases,
		recCase{"IBAN: DE89 3704 0044 0532 0130 01", ""}, // check digits wrong
		recCase{"IBAN: GB82WEST1234569876543", ""},       // one character short for GB
		recCase{"IBAN: GB82WEST123456987654321", ""},     // too long (glued characters)
		recCase{"IBAN: XX82WEST12345698765432", ""},      // unknown country
		recCase{"IBAN: DE00370400440532013000", ""},      // check digits 00 never issued
		recCase{"DE89 3704 0044 0532 0130 00 is mine", "DE89 3704 0044 0532 0130 00"},
	)
	runCases(t, defaultDetector, TypeIBAN, cases)
}

func TestUSSSNAndITIN(t *testing.T) {
	runCases(t, defaultDetector, TypeUSSSN, []recCase{
		{"SSN: 536-22-1234", "536-22-1234"},
		{"ref 536-22-1234.", "536-22-1234"}, // dashed: reported without context
		{"ref 536 22 1234", ""},             // spaced: context required
		{"my social security number is 536 22 1234", "536 22 1234"},
		{"ref 536221234", ""}, // bare: context required
		{"ssn 536221234", "536221234"},
		{"SSN 000-12-3456", ""}, // area 000
		{"SSN 666-12-3456", ""}, // area 666
		{"SSN 900-12-3456", ""}, // area 9xx
		{"SSN 123-00-4567", ""}, // group 00
		{"SSN 123-45-0000", ""}, // serial 0000
		{"SSN 078-05-1120", ""}, // the Woolworth wallet card
		{"SSN 123-45-6789", ""}, // made up
		{"SSN 111-11-1111", ""}, // repeated digit
		{"SSN 536-22-1234-5", ""},
		{"SSN 536-22 1234", ""}, // mixed separators
	})
	runCases(t, defaultDetector, TypeUSITIN, []recCase{
		{"ITIN 912-70-1234", "912-70-1234"},
		{"ITIN 912-93-1234", ""}, // group 93 is not assigned
		{"ITIN 912-40-1234", ""},
		{"taxpayer id 912 88 1234", "912 88 1234"},
	})
	if e := found(defaultDetector, "SSN 912-70-1234", TypeUSSSN); len(e) != 0 {
		t.Errorf("an ITIN is not an SSN: %+v", e)
	}
}

func TestEmail(t *testing.T) {
	runCases(t, defaultDetector, TypeEmail, []recCase{
		{"write to john.doe+tag@mail.example.co.uk.", "john.doe+tag@mail.example.co.uk"},
		{"<Gabriella@Deel.Support>", "Gabriella@Deel.Support"},
		{"mailto:jane_o-connor@sub-domain.example.com?subject=x", "jane_o-connor@sub-domain.example.com"},
		{"use icon@2x.png here", ""},
		{"user@localhost", ""},
		{"follow @handle on x.com", ""},
		{"a@b.c", ""},
		{"pkg@1.2.3", ""},
		{".@example.com", ""},
		{"name.@example.com", ""},
		{"“ana@example.org”", "ana@example.org"},
		{"Mail: zoë.müller@bücher.example", "zoë.müller@bücher.example"},
		{"user@example.xn--p1ai", "user@example.xn--p1ai"},
		{"postgres://app:pw@db.internal/app", ""},
		{"https://example.com/contact/ana@example.org", "ana@example.org"},
	})
	if e := found(defaultDetector, "e-mail: ana@example.org", TypeEmail); len(e) != 1 || e[0].Score != 1 {
		t.Fatalf("email with context: %+v", e)
	}
}

func TestPhone(t *testing.T) {
	runCases(t, defaultDetector, TypePhone, []recCase{
		{"Call +1 650-253-0000 today", "+1 650-253-0000"},
		{"office: (415) 555-0132", "(415) 555-0132"},
		{"Call 415-555-0132x123 now", "415-555-0132x123"},
		{"Call 415-555-0132 ext. 123 now", "415-555-0132 ext. 123"},
		{"UK: +44 20 7946 0958", "+44 20 7946 0958"},
		{"London 020 7946 0958", "020 7946 0958"},
		{"Berlin +49 30 901820", "+49 30 901820"},
		{"Paris 01 42 68 53 00", "01 42 68 53 00"},
		{"Paris 01.42.68.53.00", "01.42.68.53.00"},
		{"Zürich 0041 44 668 18 00", "0041 44 668 18 00"},
		{"tel +41 (0)44 668 18 00", "+41 (0)44 668 18 00"},
		{"Mumbai +91 22 2288 1234", "+91 22 2288 1234"},
		{"ref 4155550132", ""},                      // one run of digits: context required
		{"phone 4155550132", "4155550132"},          // … with context
		{"ref +1 123-456-7890", ""},                 // area code 123 does not exist…
		{"Call +1 123-456-7890", "+1 123-456-7890"}, // … but an international, possible number with context is reported
		{"Born 2024-01-31 10:30", ""},               // a date
		{"server 192.168.100.200", ""},              // an IPv4 address
		{"pi 3.14159265", ""},                       // a decimal
		{"the list 1 2 3 4 5 6 7 8", ""},            // a list
		{"at 17151 2450 Crown St", ""},              // a street address
		{"v1.2.3 build 20240131", ""},
		{"12:30:45 and 1700000000", ""},
	})
	// A GB-only detector does not read US national numbers, but still reads international ones.
	gb := New(WithPhoneRegions("GB"))
	runCases(t, gb, TypePhone, []recCase{
		{"office: (415) 555-0132", ""},
		{"Call +1 650-253-0000 today", "+1 650-253-0000"},
		{"London 020 7946 0958", "020 7946 0958"},
	})
}

// TestPhone_NationalFormatsWithoutPrefix covers numbers written without a country prefix: an
// extension or an area code in parentheses counts as context, an international number dialled
// with 00 is reported when it is of a possible length and context or its shape says so, and the
// tenant's default region reads its own short national numbers.
func TestPhone_NationalFormatsWithoutPrefix(t *testing.T) {
	runCases(t, defaultDetector, TypePhone, []recCase{
		{"Phone: (88) 684-334", "(88) 684-334"},
		{"My number is (88) 684-334", "(88) 684-334"},          // the parenthesised area code
		{"write 001-748-088-2851x818", "001-748-088-2851x818"}, // 00 + 1, possible, with an extension
		{"ref 001-748-088-2851", ""},                           // … without the extension or context
		{"Please call me at 785 8949", "785 8949"},             // a US local number, with context
		{"ref 785 8949", ""},                                   // … without
		{"ref (12) 3", ""},
	})
	for _, c := range []struct {
		region, text, want string
	}{
		{"SG", "see 8123 4567 now", "8123 4567"},
		{"", "see 8123 4567 now", ""},
		{"HK", "see 9123 4567 now", "9123 4567"},
		{"US", "see 9123 4567 now", ""},
		{"ZZ", "see 9123 4567 now", ""}, // an unknown region is ignored
	} {
		var got []string
		for _, e := range defaultDetector.FindWith(c.text, Scope{Region: c.region}) {
			got = append(got, e.Value)
		}
		if (c.want == "" && len(got) > 0) || (c.want != "" && (len(got) != 1 || got[0] != c.want)) {
			t.Errorf("region %q, %q: got %q, want %q", c.region, c.text, got, c.want)
		}
	}
	if !KnownRegion("AU") || KnownRegion("ZZ") || KnownRegion("au") || KnownRegion("001") {
		t.Error("KnownRegion")
	}
}

func TestScope_SelectsTypes(t *testing.T) {
	text := "mail ana@example.org on 2024-03-18, see https://example.com/x"
	types := func(ents []Entity) (out []string) {
		for _, e := range ents {
			out = append(out, e.Type)
		}
		return out
	}
	if got := types(allDetector.Find(text)); fmt.Sprint(got) != "[EMAIL_ADDRESS DATE_TIME URL]" {
		t.Errorf("all types: %v", got)
	}
	if got := types(defaultDetector.Find(text)); fmt.Sprint(got) != "[EMAIL_ADDRESS]" {
		t.Errorf("default types: %v", got)
	}
	only, err := TypeSetOf(TypeURL, TypeDateTime)
	if err != nil {
		t.Fatal(err)
	}
	if got := types(allDetector.FindWith(text, Scope{Types: only})); fmt.Sprint(got) != "[DATE_TIME URL]" {
		t.Errorf("scoped: %v", got)
	}
	// A scope cannot add types the detector was not built with.
	if got := types(defaultDetector.FindWith(text, Scope{Types: only})); len(got) != 0 {
		t.Errorf("scoped default detector: %v", got)
	}
	var ue *UnknownTypeError
	if _, err := TypeSetOf(TypeURL, "PASSPORT"); !errors.As(err, &ue) || ue.Name != "PASSPORT" || !strings.Contains(err.Error(), "EMAIL_ADDRESS") {
		t.Errorf("unknown type: %v", err)
	}
	if only.Names()[0] != TypeURL || !only.Has(TypeDateTime) || only.Has(TypeEmail) || DefaultTypes().Has(TypeURL) {
		t.Error("TypeSet")
	}
}

func TestIPAddress(t *testing.T) {
	runCases(t, defaultDetector, TypeIPAddress, []recCase{
		{"from 203.0.113.54 today", "203.0.113.54"},
		{"upstream=10.20.30.40:8443", "10.20.30.40"},
		{"client 2001:db8:85a3::8a2e:370:7334.", "2001:db8:85a3::8a2e:370:7334"},
		{"link-local fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a"},
		{"mapped ::ffff:192.0.2.128 here", "::ffff:192.0.2.128"},
		{"bad 256.1.1.1", ""},
		{"bad 01.2.3.4", ""},
		{"short 1.2.3", ""},
		{"five 1.2.3.4.5", ""},
		{"time 12:30:45", ""},
		{"c++ std::vector<int>", ""},
		{"mac 00:1a:2b:3c:4d:5e", ""},
		{"rust a::b", ""},
		{"loopback 127.0.0.1", ""}, // special addresses need context
		{"ip address 127.0.0.1", "127.0.0.1"},
	})
}

func TestURL(t *testing.T) {
	d := New(WithTypes(TypeURL))
	runCases(t, d, TypeURL, []recCase{
		{"see https://example.com/path?q=1&r=2.", "https://example.com/path?q=1&r=2"},
		{"(https://en.wikipedia.org/wiki/Foo_(bar))", "https://en.wikipedia.org/wiki/Foo_(bar)"},
		{"visit www.example.org today", "www.example.org"},
		{"http://user:pw@host.example.net:8080/x", "http://user:pw@host.example.net:8080/x"},
		{"http://192.0.2.1/admin", "http://192.0.2.1/admin"},
		{"https://localhost:3000", "https://localhost:3000"},
		{"not a url: https://", ""},
		{"file.txt and wwwexample", ""},
		{"https://nodot/", ""},
	})
	if defaultDetector.Enabled(TypeURL) {
		t.Error("URL should be off by default")
	}
}

func TestCrypto(t *testing.T) {
	runCases(t, defaultDetector, TypeCrypto, []recCase{
		{"genesis 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"},
		{"p2sh 3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"},
		{"BIP173 BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"},
		{"p2wsh bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"},
		{"taproot bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"},
		{"EIP-55 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"},
		{"EIP-55 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"},
		{"EIP-55 0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"},
		{"EIP-55 0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"},
		{"lower 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"},
		{"bad checksum 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb", ""},
		{"bad checksum bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", ""},
		{"v0 with bech32m bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", ""},
		{"mixed case bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", ""},
		{"bad EIP-55 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", ""},
		{"zeros 0x0000000000000000000000000000000000000000", ""},
	})
	if e := found(defaultDetector, "lower 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", TypeCrypto); len(e) != 1 || e[0].Score != scoreETHPlain {
		t.Errorf("unchecked ETH address score: %+v", e)
	}
}

func TestAPIKeysAndSecrets(t *testing.T) {
	// Keys are assembled at run time so that this file holds no literal that looks like a live secret.
	alnum := "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5"
	ghp := "ghp_" + alnum[:36]
	stripe := "sk_" + "live_" + alnum[:24]
	openai := "sk-" + "proj-" + alnum + "_" + alnum
	anthropic := "sk-" + "ant-api03-" + alnum + alnum
	google := "AI" + "za" + alnum[:35]
	slack := "xo" + "xb-123456789012-1234567890123-" + alnum[:24]
	jwt := "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	runCases(t, defaultDetector, TypeAPIKey, []recCase{
		{"aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"},
		{"token " + ghp + ".", ghp},
		{"STRIPE_KEY='" + stripe + "'", stripe},
		{"OPENAI_API_KEY=" + openai, openai},
		{"key: " + anthropic, anthropic},
		{"maps " + google, google},
		{"slack " + slack, slack},
		{"Authorization: Bearer " + jwt, jwt},
		{"AKIA1234", ""},
		{"ghp_short", ""},
		{"xAKIAIOSFODNN7EXAMPLE", ""},
		{"eyJhbGciOiJIUzI1NiJ9", ""},              // a header alone
		{"eyJub3RhbGciOjF9.eyJzdWIiOjF9.abc", ""}, // no "alg"
		{"task-list and sk-learn", ""},
	})
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n-----END RSA PRIVATE KEY-----"
	runCases(t, defaultDetector, TypePrivateKey, []recCase{
		{"key:\n" + pem + "\nthanks", pem},
		{"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----", ""},
		{"truncated -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"},
	})
	runCases(t, defaultDetector, TypeSecret, []recCase{
		{`DB_PASSWORD = "hunter22"`, "hunter22"},
		{`password: Tr0ub4dor&3`, "Tr0ub4dor&3"},
		{`my password is Tr0ub4dor&3.`, "Tr0ub4dor&3"},
		{`api_key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0`, "9f8e7d6c5b4a39281706f5e4d3c2b1a0"},
		{`"client_secret": "q8Zr-Tn3Lx0vW2Ys"`, "q8Zr-Tn3Lx0vW2Ys"},
		{`https://x.example/login?password=Tr0ub4dor3&user=ana`, "Tr0ub4dor3"},
		{`DATABASE_URL=postgres://app:Zq8-rT4w!vX@db.internal:5432/app`, "Zq8-rT4w!vX"},
		{`see https://user@example.com/x`, ""},
		{`pwd: /home/ana/projects`, ""},
		{`password: <your password>`, ""},
		{`password = ${DB_PASSWORD}`, ""},
		{`password = "********"`, ""},
		{`token = getToken()`, ""},
		{`max_tokens: 1024`, ""},
		{`tokens = 50000000`, ""},
		{`password: aaaaaaaa`, ""},
		{`secretary: John Smith`, ""},
		{`password: changeme`, ""},
		{`token: your-token-here`, ""},
	})
}

func TestContextRecognizers(t *testing.T) {
	runCases(t, defaultDetector, TypeABARouting, []recCase{
		{"routing number 021000021", "021000021"},
		{"routing number 021000022", ""}, // checksum
		{"ref 021000021", ""},            // no context
	})
	runCases(t, defaultDetector, TypeUKNHS, []recCase{
		{"NHS number 943 476 5919", "943 476 5919"},
		{"NHS number 9434765919", "9434765919"},
		{"NHS number 943 476 5918", ""}, // check digit
		{"ref 943 476 5919", ""},        // no context
	})
	runCases(t, defaultDetector, TypeUSBankNumber, []recCase{
		{"checking account 12345678901", "12345678901"},
		{"order 12345678901", ""},
		{"account 1234567", ""},
	})
	runCases(t, defaultDetector, TypeUSDriverLicense, []recCase{
		{"driver's license: D1234567", "D1234567"},
		{"driver license number F162823540116", "F162823540116"},
		{"DL 2270-66-1551", "2270-66-1551"},
		{"product D1234567", ""},
	})
}

func TestDateTime(t *testing.T) {
	runCases(t, allDetector, TypeDateTime, []recCase{
		{"on 2024-02-29 we", "2024-02-29"},
		{"at 2000-04-16 11:34:35 UTC", "2000-04-16 11:34:35"},
		{"ts 2024-03-18T09:42:11Z ok", "2024-03-18T09:42:11Z"},
		{"on 2023-02-29 we", ""}, // not a leap year
		{"born on 2/8/1935.", "2/8/1935"},
		{"born on 31/12/1999.", "31/12/1999"},
		{"code 13/13/1999", ""},
		{"March 5, 2024 was", "March 5, 2024"},
		{"the 5th of March 2024", "5th of March 2024"},
		{"since January 2023", "January 2023"},
		{"Wed, 09 Feb 2022 01:13:17 +0000", "09 Feb 2022 01:13:17 +0000"},
		{"Mr. Leiva flew on Tuesday morning", "Tuesday"},
		{"founded in 1977.", "1977"},
		{"1977 items", ""},
		{"Casablanca is a 1942 American romantic drama", "1942"},
		{"the 2010 census counted", "2010"},
		{"a 2048 byte buffer", ""},
		{"the 1999 files", ""},
		{"February 30, 2024", ""},
		{"May I ask", ""},
	})
}

func TestContextWordRules(t *testing.T) {
	// "hotel" does not contain the context word "tel" (short words must match whole words).
	if e := found(defaultDetector, "hotel 4155550132", TypePhone); len(e) != 0 {
		t.Errorf("short context word matched inside a word: %+v", e)
	}
	if e := found(defaultDetector, "Tel: 4155550132", TypePhone); len(e) != 1 {
		t.Errorf("whole-word context missed: %+v", e)
	}
	// Longer words match as prefixes ("phones"), in several languages, case-insensitively.
	for _, w := range []string{"Phones:", "TELEFON", "teléfono", "Téléphone"} {
		if e := found(defaultDetector, w+" 4155550132", TypePhone); len(e) != 1 {
			t.Errorf("%q should be phone context: %+v", w, e)
		}
	}
	// Context outside the window does not count.
	far := "phone" + strings.Repeat(" filler", 10) + " 4155550132"
	if e := found(defaultDetector, far, TypePhone); len(e) != 0 {
		t.Errorf("context beyond the window counted: %+v", e)
	}
	if e := found(New(WithContextWindow(100, 0)), far, TypePhone); len(e) != 1 {
		t.Errorf("a wider window should see the context: %+v", e)
	}
}

func TestOptionsAndCatalogue(t *testing.T) {
	text := "mail ana@example.org or call +1 650-253-0000, card 4111 1111 1111 1111"
	only := New(WithTypes(TypeEmail, "NOT_A_TYPE"))
	if es := only.Find(text); len(es) != 1 || es[0].Type != TypeEmail {
		t.Errorf("WithTypes: %+v", es)
	}
	without := New(WithoutTypes(TypeCreditCard), WithTypes(TypeCreditCard, TypeEmail))
	if len(found(without, text, TypeCreditCard)) != 0 || len(found(without, text, TypeEmail)) != 1 {
		t.Error("WithoutTypes did not remove only the card recognizer")
	}
	strict := New(WithMinScore(0.99))
	for _, e := range strict.Find("ref 4111 1111 1111 1111 and +1 650-253-0000") {
		if e.Score < 0.99 {
			t.Errorf("entity below the minimum score: %+v", e)
		}
	}
	if strict.MinScore() != 0.99 {
		t.Error("MinScore")
	}
	seen := map[string]bool{}
	for _, ti := range Types() {
		if seen[ti.Type] || !KnownType(ti.Type) || ti.Description == "" || len(ti.Recognizers) == 0 {
			t.Errorf("catalogue entry %+v", ti)
		}
		seen[ti.Type] = true
		if ti.DefaultEnabled != defaultDetector.Enabled(ti.Type) {
			t.Errorf("%s: DefaultEnabled %v but the default detector says %v", ti.Type, ti.DefaultEnabled, defaultDetector.Enabled(ti.Type))
		}
		if !allDetector.Enabled(ti.Type) {
			t.Errorf("%s not enabled by WithAllTypes", ti.Type)
		}
	}
	if len(seen) != numTypes || KnownType("NOT_A_TYPE") {
		t.Errorf("catalogue has %d types", len(seen))
	}
	if Version == "" {
		t.Error("Version")
	}
}

// TestFindInvariants checks the output contract on texts that mix many entities.
func TestFindInvariants(t *testing.T) {
	texts := []string{benchShort, benchTypical, bench16K,
		"SSN 536-22-1234 card 4111111111111111 iban DE89370400440532013000 ip 8.8.8.8 ana@example.org",
		"overlaps: 4111 1111 1111 1111 415-555-0132 2024-01-31 10:30 +1 650-253-0000x12",
	}
	for _, text := range texts {
		checkInvariants(t, allDetector, text)
		checkInvariants(t, defaultDetector, text)
	}
}

func checkInvariants(t *testing.T, d *Detector, text string) {
	t.Helper()
	ents := d.Find(text)
	for i, e := range ents {
		if e.Start < 0 || e.End > len(text) || e.Start >= e.End {
			t.Fatalf("entity out of bounds: %+v (len %d)", e, len(text))
		}
		if e.Value != text[e.Start:e.End] {
			t.Fatalf("Value %q != text[%d:%d] %q", e.Value, e.Start, e.End, text[e.Start:e.End])
		}
		if e.Score < d.MinScore() || e.Score > 1 || !d.Enabled(e.Type) || e.Recognizer == "" {
			t.Fatalf("bad entity %+v", e)
		}
		if i > 0 && ents[i-1].End > e.Start {
			t.Fatalf("entities overlap or are unsorted: %+v then %+v", ents[i-1], e)
		}
	}
}

func TestConcurrentFind(t *testing.T) {
	want := fmt.Sprint(allDetector.Find(bench16K))
	done := make(chan string)
	for g := 0; g < 4; g++ {
		go func() {
			var got string
			for i := 0; i < 5; i++ {
				got = fmt.Sprint(allDetector.Find(bench16K))
				if got != want {
					break
				}
			}
			done <- got
		}()
	}
	for g := 0; g < 4; g++ {
		if got := <-done; got != want {
			t.Fatal("concurrent Find returned different results")
		}
	}
}
