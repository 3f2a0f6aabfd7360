package pii

// Numeric identifiers: payment cards, IBANs, US SSNs and ITINs, ABA routing numbers, UK NHS numbers,
// US bank account numbers and US driver's licences.

// Base scores of the numeric recognizers.
const (
	scoreCard           = 0.8  // Luhn-valid, issuer range and length match a brand
	scoreCardUnknownIIN = 0.3  // Luhn-valid, unknown issuer: context required
	scoreIBAN           = 0.9  // length table and mod-97 pass
	scoreSSNDashed      = 0.65 // 123-45-6789
	scoreSSNSpaced      = 0.45 // 123 45 6789: context required
	scoreSSNBare        = 0.2  // 123456789: context required
	scoreITINDashed     = 0.6
	scoreITINSpaced     = 0.4
	scoreITINBare       = 0.2
	scoreABA            = 0.3 // checksum passes but any 9 digits pass one time in ten
	scoreNHS            = 0.4
	scoreBankNumber     = 0.2
	scoreDriverLicense  = 0.3
)

func findCards(d *Detector, s *scan) {
	t := s.text
	for r := range s.digitRuns(" -") {
		if r.digits < 12 || !numLeftOK(t, r.start) {
			continue
		}
		// Groups other than the last must look like card groups (3–6 digits).
		good := r.groups
		for g := 0; g < r.groups-1; g++ {
			w := r.groupDig[g]
			if g > 0 {
				w -= r.groupDig[g-1]
			}
			if w < 3 || w > 6 {
				good = g + 1
				break
			}
		}
		// The longest prefix of whole groups that is a valid card wins (a card number may be followed
		// by another number such as an expiry date or a CVV).
		for g := good - 1; g >= 0; g-- {
			nd := r.groupDig[g]
			if nd > 19 {
				continue
			}
			if nd < 12 {
				break
			}
			end := r.groupEnd[g]
			if g == r.groups-1 && !numRightOK(t, end) {
				continue
			}
			digits := s.digitsOf(r.start, end)
			if allSame(digits) || !luhn(digits) {
				continue
			}
			score := scoreCardUnknownIIN
			if cardIssuerOK(digits) {
				score = scoreCard
			}
			s.add(d, TypeCreditCard, "credit_card", r.start, end, score)
			break
		}
	}
}

// luhn reports whether the digits pass the Luhn (mod 10) check.
func luhn(d []byte) bool {
	sum, dbl := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i] - '0')
		if dbl {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		dbl = !dbl
	}
	return sum%10 == 0
}

// cardIssuerOK reports whether the number's prefix belongs to a known issuer range that issues
// numbers of its length (Visa, Mastercard, American Express, Diners Club, Discover, JCB, UnionPay,
// Maestro, Mir, RuPay, Troy, Verve).
func cardIssuerOK(d []byte) bool {
	n := len(d)
	p2, p3, p4 := atoi(d[:2]), atoi(d[:3]), atoi(d[:4])
	in := func(lo, hi int) bool { return n >= lo && n <= hi }
	switch {
	case d[0] == '4': // Visa, Visa Electron
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p3 >= 300 && p3 <= 305, p4 == 3095, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return in(14, 19)
	case p4 >= 3528 && p4 <= 3589: // JCB
		return in(16, 19)
	case p4 == 1800 || p4 == 2131: // JCB (15 digits)
		return n == 15
	case p4 >= 2200 && p4 <= 2204: // Mir
		return in(16, 19)
	case p2 == 50, p2 >= 56 && p2 <= 69: // Maestro; also Discover 6011/644–649/65, UnionPay 62, RuPay 60, Verve 650
		return in(12, 19)
	case string(d[:4]) == "0604": // Maestro, as listed in older IIN tables and emitted by test generators
		return in(12, 19)
	case p2 == 81 || p2 == 82: // RuPay
		return n == 16
	case p4 == 9792: // Troy
		return n == 16
	}
	return false
}

// ibanLengths is the IBAN length of each country of the IBAN registry (plus the experimental
// national IBANs in use in West and Central Africa and a few other countries).
var ibanLengths = map[[2]byte]int{
	{'A', 'D'}: 24, {'A', 'E'}: 23, {'A', 'L'}: 28, {'A', 'T'}: 20, {'A', 'Z'}: 28, {'B', 'A'}: 20,
	{'B', 'E'}: 16, {'B', 'G'}: 22, {'B', 'H'}: 22, {'B', 'I'}: 27, {'B', 'R'}: 29, {'B', 'Y'}: 28,
	{'C', 'H'}: 21, {'C', 'R'}: 22, {'C', 'Y'}: 28, {'C', 'Z'}: 24, {'D', 'E'}: 22, {'D', 'J'}: 27,
	{'D', 'K'}: 18, {'D', 'O'}: 28, {'E', 'E'}: 20, {'E', 'G'}: 29, {'E', 'S'}: 24, {'F', 'I'}: 18,
	{'F', 'K'}: 18, {'F', 'O'}: 18, {'F', 'R'}: 27, {'G', 'B'}: 22, {'G', 'E'}: 22, {'G', 'I'}: 23,
	{'G', 'L'}: 18, {'G', 'R'}: 27, {'G', 'T'}: 28, {'H', 'N'}: 28, {'H', 'R'}: 21, {'H', 'U'}: 28,
	{'I', 'E'}: 22, {'I', 'L'}: 23, {'I', 'Q'}: 23, {'I', 'S'}: 26, {'I', 'T'}: 27, {'J', 'O'}: 30,
	{'K', 'W'}: 30, {'K', 'Z'}: 20, {'L', 'B'}: 28, {'L', 'C'}: 32, {'L', 'I'}: 21, {'L', 'T'}: 20,
	{'L', 'U'}: 20, {'L', 'V'}: 21, {'L', 'Y'}: 25, {'M', 'C'}: 27, {'M', 'D'}: 24, {'M', 'E'}: 22,
	{'M', 'K'}: 19, {'M', 'N'}: 20, {'M', 'R'}: 27, {'M', 'T'}: 31, {'M', 'U'}: 30, {'N', 'I'}: 28,
	{'N', 'L'}: 18, {'N', 'O'}: 15, {'O', 'M'}: 23, {'P', 'K'}: 24, {'P', 'L'}: 28, {'P', 'S'}: 29,
	{'P', 'T'}: 25, {'Q', 'A'}: 29, {'R', 'O'}: 24, {'R', 'S'}: 22, {'R', 'U'}: 33, {'S', 'A'}: 24,
	{'S', 'C'}: 31, {'S', 'D'}: 18, {'S', 'E'}: 24, {'S', 'I'}: 19, {'S', 'K'}: 24, {'S', 'M'}: 27,
	{'S', 'O'}: 23, {'S', 'T'}: 25, {'S', 'V'}: 28, {'T', 'L'}: 23, {'T', 'N'}: 24, {'T', 'R'}: 26,
	{'U', 'A'}: 29, {'V', 'A'}: 22, {'V', 'G'}: 24, {'X', 'K'}: 20, {'Y', 'E'}: 30,
	// Experimental / national IBANs.
	{'A', 'O'}: 25, {'B', 'F'}: 28, {'B', 'J'}: 28, {'C', 'F'}: 27, {'C', 'G'}: 27, {'C', 'I'}: 28,
	{'C', 'M'}: 27, {'C', 'V'}: 25, {'D', 'Z'}: 26, {'G', 'A'}: 27, {'G', 'Q'}: 27, {'G', 'W'}: 25,
	{'I', 'R'}: 26, {'K', 'M'}: 27, {'M', 'A'}: 28, {'M', 'G'}: 27, {'M', 'L'}: 28, {'M', 'Z'}: 25,
	{'N', 'E'}: 28, {'S', 'N'}: 28, {'T', 'D'}: 27, {'T', 'G'}: 28,
}

func findIBANs(d *Detector, s *scan) {
	t := s.text
	var buf [34]byte
	for i := 0; i+15 <= len(t); i++ {
		if !isAlpha(t[i]) || !isAlpha(t[i+1]) || !isDigit(t[i+2]) || !isDigit(t[i+3]) {
			continue
		}
		if i > 0 && (isAlnum(t[i-1]) || t[i-1] == '_') {
			continue
		}
		L, ok := ibanLengths[[2]byte{upper(t[i]), upper(t[i+1])}]
		if !ok {
			continue
		}
		n, j := 0, i
		for j < len(t) && n < L {
			c := t[j]
			if isAlnum(c) {
				buf[n] = upper(c)
				n++
				j++
				continue
			}
			// A space or dash is allowed between groups of four.
			if (c == ' ' || c == '-') && n%4 == 0 && j+1 < len(t) && isAlnum(t[j+1]) {
				j++
				continue
			}
			break
		}
		if n != L || (j < len(t) && (isAlnum(t[j]) || t[j] == '_')) {
			continue
		}
		if !ibanValid(buf[:n]) {
			continue
		}
		s.add(d, TypeIBAN, "iban", i, j, scoreIBAN)
		i = j - 1
	}
}

// ibanValid checks the ISO 7064 mod-97-10 check digits of an upper-case, compact IBAN.
func ibanValid(b []byte) bool {
	if len(b) < 15 || !isDigit(b[2]) || !isDigit(b[3]) {
		return false
	}
	if b[2] == '0' && (b[3] == '0' || b[3] == '1') || b[2] == '9' && b[3] == '9' {
		return false // check digits 00, 01 and 99 are never issued
	}
	rem := 0
	digit := func(c byte) bool {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for _, c := range b[4:] {
		if !digit(c) {
			return false
		}
	}
	for _, c := range b[:4] {
		if !digit(c) {
			return false
		}
	}
	return rem == 1
}

// ssnShape classifies a digit run as an SSN-shaped number: 3-2-4 groups with one separator, or nine
// bare digits. It returns the separator (0 for bare digits) and whether the run has that shape.
func ssnShape(t string, r digitRun) (sep byte, ok bool) {
	if !numLeftOK(t, r.start) || !numRightOK(t, r.end) || r.mixedSep {
		return 0, false
	}
	switch {
	case r.groups == 1 && r.digits == 9:
		return 0, true
	case r.groups == 3 && r.groupDig[0] == 3 && r.groupDig[1] == 5 && r.groupDig[2] == 9:
		return r.sep, true
	}
	return 0, false
}

// invalidSSNs are numbers that were published (advertising, the Woolworth wallet card) or are
// obviously made up; the SSA never issues them.
var invalidSSNs = map[string]bool{
	"078051120": true, "219099999": true, "457555462": true, "123456789": true, "012345678": true,
}

// ssnValid applies the SSA rules: no area 000, 666 or 900–999, no group 00, no serial 0000.
func ssnValid(d []byte) bool {
	area, group, serial := atoi(d[:3]), atoi(d[3:5]), atoi(d[5:])
	if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
		return false
	}
	return !allSame(d) && !invalidSSNs[string(d)]
}

// itinValid: area 9xx and a group in the ranges the IRS assigns (50–65, 70–88, 90–92, 94–99).
func itinValid(d []byte) bool {
	if d[0] != '9' {
		return false
	}
	g := atoi(d[3:5])
	return (g >= 50 && g <= 65) || (g >= 70 && g <= 88) || (g >= 90 && g <= 92) || (g >= 94 && g <= 99)
}

func findSSNs(d *Detector, s *scan) {
	findNineDigit(d, s, TypeUSSSN, "us_ssn", ssnValid, scoreSSNDashed, scoreSSNSpaced, scoreSSNBare)
}

func findITINs(d *Detector, s *scan) {
	findNineDigit(d, s, TypeUSITIN, "us_itin", itinValid, scoreITINDashed, scoreITINSpaced, scoreITINBare)
}

func findNineDigit(d *Detector, s *scan, typ, rec string, valid func([]byte) bool, dashed, spaced, bare float64) {
	t := s.text
	for r := range s.digitRuns("- ") {
		if r.digits != 9 {
			continue
		}
		sep, ok := ssnShape(t, r)
		if !ok {
			continue
		}
		digits := s.digitsOf(r.start, r.end)
		if !valid(digits) {
			continue
		}
		score := bare
		switch sep {
		case '-':
			score = dashed
		case ' ':
			score = spaced
		}
		s.add(d, typ, rec, r.start, r.end, score)
	}
}

// findABA reports nine-digit ABA routing transit numbers (context required).
func findABA(d *Detector, s *scan) {
	if !s.contextSomewhere(TypeABARouting) {
		return
	}
	t := s.text
	for r := range s.digitRuns("") {
		if r.digits != 9 || !numLeftOK(t, r.start) || !numRightOK(t, r.end) {
			continue
		}
		digits := s.digitsOf(r.start, r.end)
		if abaValid(digits) {
			s.add(d, TypeABARouting, "aba_routing", r.start, r.end, scoreABA)
		}
	}
}

// abaValid checks the Federal Reserve prefix and the 3-7-1 weighted checksum.
func abaValid(d []byte) bool {
	p := atoi(d[:2])
	if !(p <= 12 || (p >= 21 && p <= 32) || (p >= 61 && p <= 72) || p == 80) || allSame(d) {
		return false
	}
	w := [3]int{3, 7, 1}
	sum := 0
	for i, c := range d {
		sum += int(c-'0') * w[i%3]
	}
	return sum%10 == 0
}

// findNHS reports UK NHS numbers: ten digits (3-3-4 groups allowed) with a valid mod-11 check digit.
func findNHS(d *Detector, s *scan) {
	t := s.text
	for r := range s.digitRuns(" -") {
		if r.digits != 10 || r.mixedSep || !numLeftOK(t, r.start) || !numRightOK(t, r.end) {
			continue
		}
		if r.groups != 1 && !(r.groups == 3 && r.groupDig[0] == 3 && r.groupDig[1] == 6) {
			continue
		}
		digits := s.digitsOf(r.start, r.end)
		if nhsValid(digits) {
			s.add(d, TypeUKNHS, "uk_nhs", r.start, r.end, scoreNHS)
		}
	}
}

// nhsValid checks the NHS mod-11 check digit (weights 10..2; a computed check of 10 is invalid).
func nhsValid(d []byte) bool {
	if len(d) != 10 || allSame(d) {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && check == int(d[9]-'0')
}

// findBankNumbers reports runs of 8–17 digits near account words (US bank account numbers).
func findBankNumbers(d *Detector, s *scan) {
	if !s.contextSomewhere(TypeUSBankNumber) {
		return
	}
	t := s.text
	for r := range s.digitRuns("") {
		if r.digits < 8 || r.digits > 17 || !numLeftOK(t, r.start) || !numRightOK(t, r.end) {
			continue
		}
		digits := s.digitsOf(r.start, r.end)
		if allSame(digits) {
			continue
		}
		s.add(d, TypeUSBankNumber, "us_bank_number", r.start, r.end, scoreBankNumber)
	}
}

// findDriverLicenses reports licence-shaped tokens near licence words: one or two letters followed by
// 4–14 digits, 6–14 bare digits, or 7–14 digits in two to four dash-separated groups.
func findDriverLicenses(d *Detector, s *scan) {
	if !s.contextSomewhere(TypeUSDriverLicense) {
		return
	}
	t := s.text
	for i := 0; i < len(t); {
		if !isAlnum(t[i]) || (i > 0 && (isAlnum(t[i-1]) || t[i-1] == '_')) {
			i++
			continue
		}
		j := i
		letters := 0
		for j < len(t) && isAlpha(t[j]) && letters < 3 {
			j++
			letters++
		}
		digStart := j
		groups, digits := 0, 0
		for {
			k := j
			for k < len(t) && isDigit(t[k]) {
				k++
			}
			if k == j {
				break
			}
			digits += k - j
			groups++
			j = k
			if letters == 0 && j+1 < len(t) && t[j] == '-' && isDigit(t[j+1]) && groups < 4 {
				j++
				continue
			}
			break
		}
		end := j
		next := max(end, i+1)
		for next < len(t) && (isAlnum(t[next]) || t[next] == '_') {
			next++
		}
		okShape := false
		switch {
		case end < len(t) && (isAlnum(t[end]) || t[end] == '_'):
			// the token goes on with letters (a word, not a licence number)
		case letters >= 1 && letters <= 2 && groups == 1 && digits >= 4 && digits <= 14 && isUpperRun(t[i:digStart]):
			okShape = true
		case letters == 0 && groups == 1 && digits >= 6 && digits <= 14:
			okShape = numRightOK(t, end) && numLeftOK(t, i)
		case letters == 0 && groups >= 2 && digits >= 7 && digits <= 14:
			okShape = numRightOK(t, end) && numLeftOK(t, i)
		}
		if okShape {
			s.add(d, TypeUSDriverLicense, "us_driver_license", i, end, scoreDriverLicense)
		}
		i = next
	}
}

func isUpperRun(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
