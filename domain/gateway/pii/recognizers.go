package pii

import (
	"iter"
	"slices"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
)

// recognizers lists every recognizer in the order Find runs them. The phone recognizer runs last so
// that it can skip spans already claimed by strongly validated candidates (cards, IBANs, addresses,
// dates), which saves phone metadata look-ups.
var recognizers = []*recognizer{
	{name: "credit_card", typ: TypeCreditCard, find: findCards},
	{name: "iban", typ: TypeIBAN, find: findIBANs},
	{name: "us_ssn", typ: TypeUSSSN, find: findSSNs},
	{name: "us_itin", typ: TypeUSITIN, find: findITINs},
	{name: "email", typ: TypeEmail, find: findEmails},
	{name: "ip_address", typ: TypeIPAddress, find: findIPs},
	{name: "url", typ: TypeURL, find: findURLs},
	{name: "crypto_wallet", typ: TypeCrypto, find: findCrypto, emits: []string{"bitcoin_address", "ethereum_address"}},
	{name: "api_key", typ: TypeAPIKey, find: findAPIKeys, emits: apiKeyRecognizers()},
	{name: "pem_private_key", typ: TypePrivateKey, find: findPEM},
	{name: "generic_secret", typ: TypeSecret, find: findSecrets, emits: []string{"generic_secret", "url_credentials"}},
	{name: "aba_routing", typ: TypeABARouting, find: findABA},
	{name: "uk_nhs", typ: TypeUKNHS, find: findNHS},
	{name: "us_bank_number", typ: TypeUSBankNumber, find: findBankNumbers},
	{name: "us_driver_license", typ: TypeUSDriverLicense, find: findDriverLicenses},
	{name: "date_time", typ: TypeDateTime, find: findDates},
	{name: "name_tagger", typ: TypePerson, find: findNames(ner.Person)},
	{name: "name_tagger", typ: TypeLocation, find: findNames(ner.Location)},
	{name: "name_tagger", typ: TypeOrganization, find: findNames(ner.Organization)},
	{name: "name_tagger", typ: TypeStreetAddress, find: findNames(ner.Address)},
	{name: "phone_number", typ: TypePhone, find: findPhones},
}

func apiKeyRecognizers() []string {
	var out []string
	for _, f := range keyFormats {
		if !slices.Contains(out, f.name) {
			out = append(out, f.name)
		}
	}
	return append(out, "jwt")
}

// digitRun describes a run of digit groups separated by single separator bytes.
type digitRun struct {
	start, end int     // byte span of the whole run
	groupEnd   [24]int // byte offset just past each group
	groupDig   [24]int // cumulative digit count at the end of each group
	groups     int
	digits     int
	sep        byte // the separator, 0 when there is a single group
	mixedSep   bool
}

// digitGroups returns the maximal runs of ASCII digits in the text as [start, end) pairs, computed
// once per Find and shared by the numeric recognizers.
func (s *scan) digitGroups() [][2]int {
	if !s.groupsDone {
		s.groupsDone = true
		g := s.groups[:0]
		t := s.text
		for i := 0; i < len(t); i++ {
			if !isDigit(t[i]) {
				continue
			}
			j := i + 1
			for j < len(t) && isDigit(t[j]) {
				j++
			}
			g = append(g, [2]int{i, j})
			i = j
		}
		s.groups = g
	}
	return s.groups
}

// nextDigitRun returns the run of digit groups starting at group index gi whose groups are separated
// by exactly one byte of seps, and the group index to continue from; ok is false past the last
// group. Runs longer than 24 groups are cut there (their remaining groups are skipped).
func (s *scan) nextDigitRun(gi int, seps string) (r digitRun, next int, ok bool) {
	g := s.digitGroups()
	if gi >= len(g) {
		return r, gi, false
	}
	t := s.text
	r.start = g[gi][0]
	k := gi
	for {
		r.digits += g[k][1] - g[k][0]
		r.groupEnd[r.groups] = g[k][1]
		r.groupDig[r.groups] = r.digits
		r.groups++
		if r.groups == len(r.groupEnd) || !joined(t, g, k, seps) {
			break
		}
		if c := t[g[k][1]]; r.sep == 0 {
			r.sep = c
		} else if r.sep != c {
			r.mixedSep = true
		}
		k++
	}
	r.end = g[k][1]
	for joined(t, g, k, seps) {
		k++
	}
	return r, k + 1, true
}

// digitRuns yields the runs of digit groups (see nextDigitRun) from the first to the last.
func (s *scan) digitRuns(seps string) iter.Seq[digitRun] {
	return func(yield func(digitRun) bool) {
		for i := 0; ; {
			r, next, ok := s.nextDigitRun(i, seps)
			if !ok || !yield(r) {
				return
			}
			i = next
		}
	}
}

// digitsOf returns the digits of the text's [start, end) in the scan's reused buffer.
func (s *scan) digitsOf(start, end int) []byte {
	s.digits = appendDigits(s.digits[:0], s.text, start, end)
	return s.digits
}

// joined reports whether group k and group k+1 are separated by exactly one byte of seps.
func joined(t string, g [][2]int, k int, seps string) bool {
	return k+1 < len(g) && g[k+1][0] == g[k][1]+1 && isSep(t[g[k][1]], seps)
}

func isSep(b byte, seps string) bool {
	for i := 0; i < len(seps); i++ {
		if seps[i] == b {
			return true
		}
	}
	return false
}

// appendDigits appends the digits of t[start:end] to buf.
func appendDigits(buf []byte, t string, start, end int) []byte {
	for i := start; i < end; i++ {
		if isDigit(t[i]) {
			buf = append(buf, t[i])
		}
	}
	return buf
}

func allSame(b []byte) bool {
	for i := 1; i < len(b); i++ {
		if b[i] != b[0] {
			return false
		}
	}
	return true
}

// atoi parses a short run of ASCII digits.
func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
