package pii

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
	{name: "crypto_wallet", typ: TypeCrypto, find: findCrypto},
	{name: "api_key", typ: TypeAPIKey, find: findAPIKeys},
	{name: "pem_private_key", typ: TypePrivateKey, find: findPEM},
	{name: "generic_secret", typ: TypeSecret, find: findSecrets},
	{name: "aba_routing", typ: TypeABARouting, find: findABA},
	{name: "uk_nhs", typ: TypeUKNHS, find: findNHS},
	{name: "us_bank_number", typ: TypeUSBankNumber, find: findBankNumbers},
	{name: "us_driver_license", typ: TypeUSDriverLicense, find: findDriverLicenses},
	{name: "date_time", typ: TypeDateTime, find: findDates},
	{name: "phone_number", typ: TypePhone, find: findPhones},
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

// nextDigitRun scans t from i for the next run of digits whose groups are separated by one byte of
// seps. It returns the run and the offset to continue scanning from; ok is false at the end of t.
// Runs longer than 24 groups are cut there.
func nextDigitRun(t string, i int, seps string) (r digitRun, next int, ok bool) {
	for i < len(t) && !isDigit(t[i]) {
		i++
	}
	if i >= len(t) {
		return r, len(t), false
	}
	r.start = i
	j := i
	for {
		for j < len(t) && isDigit(t[j]) {
			j++
			r.digits++
		}
		r.groupEnd[r.groups] = j
		r.groupDig[r.groups] = r.digits
		r.groups++
		if r.groups == len(r.groupEnd) || j+1 >= len(t) || !isDigit(t[j+1]) || !isSep(t[j], seps) {
			break
		}
		if r.sep == 0 {
			r.sep = t[j]
		} else if r.sep != t[j] {
			r.mixedSep = true
		}
		j++
	}
	r.end = j
	// Skip the rest of an over-long run so that its tail is not scanned as a new run.
	for j < len(t) && (isDigit(t[j]) || (isSep(t[j], seps) && j+1 < len(t) && isDigit(t[j+1]))) {
		j++
	}
	return r, j, true
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
