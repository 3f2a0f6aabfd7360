package pii

import (
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// Phone numbers: a permissive scanner proposes candidates, then libphonenumber validates them.
//
// Base scores:
//   - 0.7 valid international number (+ or 00 prefix);
//   - 0.6 valid national number for a default region, written in groups (or with parentheses), 9+ digits;
//   - 0.45 valid national number of 7–8 digits in groups: context required;
//   - 0.4 valid number written as one run of digits, or a possible (right length) but invalid
//     international number: context required;
//   - 0.3 a national number in groups that is not valid for any default region but has a possible
//     length for one (a local number without its area code, a number in an unassigned range):
//     context required.
//   - at least 0.55 a number with an extension ("x818", "ext. 42") or an area code in parentheses
//     ("(88) 684-334"): the shape counts as context, so a number of a possible length is reported.
//
// The call's default region (Scope.Region, the tenant's) is tried first, then the detector's
// regions. A grouped number valid for it scores 0.6 whatever its length ("8123 4567" for Singapore),
// and numbers of a possible length are accepted for it even when its national prefix rules are not
// simple.
//
// libphonenumber's parsing and validation run many regular expressions (Parse alone costs tens of
// microseconds), so candidates are filtered cheaply first: candidates covered by a strongly
// validated entity of another type are skipped; candidates whose best score needs context are
// checked for context before any validation; for each region, the national significant number must
// have one of the region's possible lengths and match its general number pattern. Numbers are then
// built directly from their digits (country calling code, national significant number, leading
// zeros as libphonenumber keeps them) and validated with IsValidNumber / IsValidNumberForRegion;
// phonenumbers.Parse is used only for regions whose national prefix rules involve carrier codes or
// transformations (e.g. Brazil), where building the number by hand would not be equivalent.
const (
	scorePhoneIntl         = 0.7
	scorePhoneGrouped      = 0.6
	scorePhoneShort        = 0.45
	scorePhoneBare         = 0.4
	scorePhoneIntlPossible = 0.4
	scorePhonePossible     = 0.3
	scorePhoneShaped       = 0.55
)

type phoneRegion struct {
	code    string
	cc      int32
	prefix  string // national (trunk) prefix, e.g. "0" or "1"
	lengths []int32
	general *regexp.Regexp
	// simple is true when the region's national prefix handling is a plain trunk prefix (no
	// carrier codes or transform rules): its national numbers are then built directly from the
	// digits instead of going through phonenumbers.Parse, which is several times slower.
	simple bool
}

type phoneValidator struct {
	regions []*phoneRegion
}

var (
	phoneMetaOnce sync.Once
	phoneMeta     map[string]*phonenumbers.PhoneMetadata
	callingCodes  map[int]bool
	phoneRegions  sync.Map // region code → *phoneRegion, built once per process
)

func loadPhoneMeta() {
	phoneMetaOnce.Do(func() {
		phoneMeta = map[string]*phonenumbers.PhoneMetadata{}
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			return
		}
		for _, m := range coll.GetMetadata() {
			phoneMeta[m.GetId()] = m
		}
		callingCodes = phonenumbers.GetSupportedCallingCodes()
		// Warm libphonenumber's internal regular expression cache.
		if n, err := phonenumbers.Parse("+1 650-253-0000", "US"); err == nil {
			phonenumbers.IsValidNumber(n)
		}
	})
}

// KnownRegion reports whether code (ISO 3166 alpha-2, upper case) is a region with a numbering plan in
// libphonenumber's metadata, and so may be a default phone region.
func KnownRegion(code string) bool {
	loadPhoneMeta()
	return len(code) == 2 && code != "001" && phoneMeta[code] != nil
}

// warmRegion validates the region's example numbers once, so that libphonenumber compiles and caches
// the regular expressions of its metadata when the region is first prepared rather than on the first
// Find that needs them (each costs up to milliseconds the first time).
func warmRegion(region string) {
	for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE} {
		if ex := phonenumbers.GetExampleNumberForType(region, typ); ex != nil {
			phonenumbers.IsValidNumberForRegion(ex, region)
			phonenumbers.IsValidNumber(ex)
			if n, err := phonenumbers.Parse(phonenumbers.Format(ex, phonenumbers.NATIONAL), region); err == nil {
				phonenumbers.IsValidNumberForRegion(n, region)
			}
		}
	}
}

// regionFor returns the prepared numbering plan of a region, nil for an unknown one. Each region is
// prepared once per process.
func regionFor(code string) *phoneRegion {
	code = strings.ToUpper(code)
	if r, ok := phoneRegions.Load(code); ok {
		return r.(*phoneRegion)
	}
	loadPhoneMeta()
	m := phoneMeta[code]
	if m == nil || len(code) != 2 {
		return nil
	}
	gd := m.GetGeneralDesc()
	re, err := regexp.Compile("^(?:" + gd.GetNationalNumberPattern() + ")$")
	if err != nil {
		return nil
	}
	warmRegion(code)
	np := strings.ReplaceAll(m.GetNationalPrefix(), "~", "")
	npfp := m.GetNationalPrefixForParsing()
	r, _ := phoneRegions.LoadOrStore(code, &phoneRegion{
		code:    code,
		cc:      m.GetCountryCode(),
		prefix:  np,
		lengths: gd.GetPossibleLength(),
		general: re,
		simple:  m.GetNationalPrefixTransformRule() == "" && (npfp == "" || npfp == np || (np != "" && strings.HasPrefix(npfp, np+"|"))),
	})
	return r.(*phoneRegion)
}

func newPhoneValidator(regions []string) *phoneValidator {
	v := &phoneValidator{}
	for _, code := range regions {
		if r := regionFor(code); r != nil && !slices.Contains(v.regions, r) {
			v.regions = append(v.regions, r)
		}
	}
	return v
}

// region returns the prepared numbering plan of a call's default region, nil for an unknown one.
func (v *phoneValidator) region(code string) *phoneRegion { return regionFor(code) }

// each yields the call's default region first, then the detector's regions.
func (v *phoneValidator) each(first *phoneRegion, yield func(*phoneRegion) bool) {
	if first != nil && !yield(first) {
		return
	}
	for _, r := range v.regions {
		if r != first && !yield(r) {
			return
		}
	}
}

// phoneCandidate is the shape of a scanned candidate.
type phoneCandidate struct {
	start, end int // whole span, extension included
	numEnd     int // end of the number without its extension
	digits     int
	groups     int
	plus       bool
	parens     bool
	dots       int
	slashes    int
	seps       int
	groupLen   [8]int
	groupSep   [8]byte // separator after each group (0 at the end)
}

// scanPhone reads a phone-shaped candidate at i (a digit, '+' or '('). It returns ok=false when the
// text at i is not one; next is where scanning resumes in every case.
func scanPhone(t string, i int) (c phoneCandidate, next int, ok bool) {
	c.start = i
	j := i
	if t[j] == '+' {
		c.plus = true
		j++
	}
	for {
		if j >= len(t) {
			break
		}
		if t[j] == '(' {
			k := j + 1
			for k < len(t) && isDigit(t[k]) && k-j <= 5 {
				k++
			}
			if k == j+1 || k >= len(t) || t[k] != ')' {
				break
			}
			c.parens = true
			c.digits += k - j - 1
			if c.groups < len(c.groupLen) {
				c.groupLen[c.groups] = k - j - 1
			}
			c.groups++
			j = k + 1
			if j < len(t) && isDigit(t[j]) {
				continue
			}
		} else if isDigit(t[j]) {
			k := j
			for k < len(t) && isDigit(t[k]) {
				k++
			}
			c.digits += k - j
			if c.groups < len(c.groupLen) {
				c.groupLen[c.groups] = k - j
			}
			c.groups++
			j = k
		} else {
			break
		}
		if c.digits > 17 {
			break
		}
		// One separator, then a digit or an opening parenthesis.
		if j+1 < len(t) && strings.IndexByte(" -./", t[j]) >= 0 && (isDigit(t[j+1]) || t[j+1] == '(') {
			switch t[j] {
			case '.':
				c.dots++
			case '/':
				c.slashes++
			}
			if c.groups-1 < len(c.groupSep) {
				c.groupSep[c.groups-1] = t[j]
			}
			c.seps++
			j++
			continue
		}
		break
	}
	c.numEnd, c.end = j, j
	next = max(j, i+1)
	if c.digits == 0 || c.digits > 15 {
		for next < len(t) && (isDigit(t[next]) || strings.IndexByte(" -./()+", t[next]) >= 0 && next+1 < len(t) && isDigit(t[next+1])) {
			next++
		}
		return c, next, false
	}
	// Extension: x123, ext. 123, #123.
	k := j
	for k < len(t) && t[k] == ' ' && k-j < 2 {
		k++
	}
	switch {
	case k < len(t) && (t[k] == 'x' || t[k] == 'X' || t[k] == '#'):
		k++
	case k+3 <= len(t) && strings.EqualFold(t[k:k+3], "ext"):
		k += 3
		if k < len(t) && t[k] == '.' {
			k++
		}
	default:
		k = -1
	}
	if k > 0 {
		for k < len(t) && t[k] == ' ' && k-j < 8 {
			k++
		}
		e := k
		for e < len(t) && isDigit(t[e]) && e-k < 6 {
			e++
		}
		if e > k && (e >= len(t) || !isAlnum(t[e])) {
			c.end = e
			next = e
		}
	}
	// Right boundary: not glued to a word, a decimal, a time or a longer number.
	if e := c.end; e < len(t) {
		n := t[e]
		if isAlnum(n) || n == '_' || n == '@' {
			return c, next, false
		}
		if strings.IndexByte(".,:/-", n) >= 0 && e+1 < len(t) && isDigit(t[e+1]) {
			return c, next, false
		}
	}
	return c, next, true
}

// shapeOK rejects candidates that are dates, IPv4 addresses, decimals or lists rather than numbers.
func (c *phoneCandidate) shapeOK(t string) bool {
	if c.digits < 7 || c.slashes > 1 {
		return false
	}
	if c.dots > 0 {
		if c.dots < 2 {
			return false
		}
		if c.dots == 3 && c.groups == 4 && !c.plus && !c.parens && c.seps == 3 {
			return false // dotted quad: an IPv4 address
		}
	}
	if c.groups >= 3 && !c.plus && !c.parens {
		g, sp := c.groupLen, c.groupSep
		dateSeps := sp[0] == sp[1] && (sp[0] == '-' || sp[0] == '/' || sp[0] == '.')
		if dateSeps && ((g[0] == 4 && g[1] <= 2 && g[2] <= 2) || (g[0] <= 2 && g[1] <= 2 && g[2] == 4)) {
			return false // 2024-01-31 10:30, 31/01/2024
		}
		if dateSeps && c.groups == 3 && g[0] <= 2 && g[1] <= 2 && g[2] == 2 {
			return false // 1.2.24
		}
	}
	// More groups of a single digit than real phone formats use: a list of numbers.
	singles := 0
	for g := 0; g < min(c.groups, len(c.groupLen)); g++ {
		if c.groupLen[g] == 1 {
			singles++
		}
	}
	if singles > 2 {
		return false
	}
	return true
}

func findPhones(d *Detector, s *scan) {
	if d.phone == nil {
		return
	}
	t := s.text
	// Spans of strongly validated candidates, sorted by start; maxEnd is the furthest end among
	// those starting at or before the current phone candidate.
	strong := s.strong[:0]
	for _, c := range s.cands {
		if c.score >= 0.8 {
			strong = append(strong, [2]int{c.start, c.end})
		}
	}
	slices.SortFunc(strong, func(a, b [2]int) int { return a[0] - b[0] })
	s.strong = strong
	k, maxEnd := 0, -1
	for i := 0; i < len(t); {
		ch := t[i]
		if !isDigit(ch) && ch != '+' && ch != '(' {
			i++
			continue
		}
		if ch != '(' && !phoneLeftOK(t, i) {
			// Skip the rest of this token.
			j := i + 1
			for j < len(t) && (isAlnum(t[j]) || t[j] == '_' || (strings.IndexByte(".-/", t[j]) >= 0 && j+1 < len(t) && isDigit(t[j+1]))) {
				j++
			}
			i = j
			continue
		}
		if ch == '(' && i > 0 && isAlnum(t[i-1]) {
			i++
			continue
		}
		c, next, ok := scanPhone(t, i)
		i = next
		if !ok || !c.shapeOK(t) {
			continue
		}
		for k < len(strong) && strong[k][0] <= c.start {
			maxEnd = max(maxEnd, strong[k][1])
			k++
		}
		if maxEnd >= c.end {
			continue // covered by a card, IBAN, address, date … of another recognizer
		}
		d.validatePhone(s, &c)
	}
}

func phoneLeftOK(t string, i int) bool {
	if i == 0 {
		return true
	}
	p := t[i-1]
	if isAlnum(p) || p == '_' || p == '+' || p == '@' {
		return false
	}
	if strings.IndexByte(".,-/:", p) >= 0 && i >= 2 && isDigit(t[i-2]) {
		return false
	}
	return true
}

func (d *Detector) validatePhone(s *scan, c *phoneCandidate) {
	t := s.text
	digits := s.digitsOf(c.start, c.numEnd)
	if allSame(digits) {
		return
	}
	if !c.plus && followedByStreetWord(s.lower(), c.end) {
		return // "17151 2450 Crown St": a house number, not a phone number
	}
	if nearCurrency(s.lower(), c.start, c.end) {
		return // "1 250 000 EUR": an amount
	}
	grouped := c.groups > 1 || c.parens
	intl := c.plus || (len(digits) > 9 && digits[0] == '0' && digits[1] == '0') ||
		(len(digits) > 11 && string(digits[:3]) == "011")
	// An extension ("x818", "ext. 42") or an area code in parentheses at the start is evidence of a
	// phone number as good as a context word.
	shaped := c.end > c.numEnd || (c.parens && t[c.start] == '(')

	// The best score this candidate can get decides whether context must be checked first.
	best := scorePhoneBare
	switch {
	case intl && grouped, intl && c.plus:
		best = scorePhoneIntl
	case grouped && len(digits) >= 9:
		best = scorePhoneGrouped
	case shaped:
		best = scorePhoneShaped
	case grouped && s.region != nil:
		best = scorePhoneGrouped // perhaps a short number of the tenant's region
	case grouped:
		best = scorePhoneShort
	}
	needCtx := func() bool {
		return s.hasContext(TypePhone, max(0, c.start-d.ctxBefore), min(len(t), c.end+d.ctxAfter), c.start, c.end)
	}
	ctxChecked, ctx := false, false
	if best < d.minScore {
		if !needCtx() {
			return
		}
		ctxChecked, ctx = true, true
	}
	// evidence reports whether context or the shape supports a number that is only possible.
	evidence := func() bool {
		if !ctxChecked {
			ctx, ctxChecked = needCtx(), true
		}
		return ctx || shaped
	}
	add := func(score float64) {
		if shaped {
			score = max(score, scorePhoneShaped)
		}
		s.add(d, TypePhone, "phone_number", c.start, c.end, score)
	}

	if intl {
		id := digits
		switch {
		case c.plus:
		case digits[1] == '0':
			id = digits[2:] // 00
		default:
			id = digits[3:] // 011
		}
		valid, possible := intlValid(id)
		switch {
		case valid && !grouped && !c.plus:
			add(scorePhoneBare)
		case valid:
			add(scorePhoneIntl)
		case possible && evidence():
			add(scorePhoneIntlPossible)
		}
		return
	}

	var validFor *phoneRegion
	d.phone.each(s.region, func(r *phoneRegion) bool {
		if r.simple {
			if r.validNational(digits) {
				validFor = r
			}
			return validFor == nil
		}
		if !r.plausible(digits) {
			return true
		}
		var num phonenumbers.PhoneNumber
		if err := phonenumbers.ParseToNumber(t[c.start:c.numEnd], r.code, &num); err != nil || num.GetCountryCode() != r.cc {
			return true
		}
		if phonenumbers.IsValidNumberForRegion(&num, r.code) {
			validFor = r
		}
		return validFor == nil
	})
	if validFor != nil {
		score := nationalScore(grouped, len(digits))
		if grouped && validFor == s.region {
			// The tenant's own numbering plan: its short national numbers ("8123 4567" in
			// Singapore) are as telling as longer ones elsewhere.
			score = scorePhoneGrouped
		}
		add(score)
		return
	}
	// Not valid anywhere: a grouped number of a possible length (a local number without its area
	// code, or a number in an unassigned range) is still reported when context or its shape says it
	// is a phone number.
	if !grouped || !evidence() {
		return
	}
	possible := false
	d.phone.each(s.region, func(r *phoneRegion) bool {
		possible = (r.simple || r == s.region) && r.possibleNational(digits)
		return !possible
	})
	if possible {
		add(scorePhonePossible)
	}
}

func nationalScore(grouped bool, ndigits int) float64 {
	switch {
	case !grouped:
		return scorePhoneBare
	case ndigits < 9:
		return scorePhoneShort
	}
	return scorePhoneGrouped
}

// validNational validates digits as a national number of a simple region: with the trunk prefix
// removed when present, then (except where the trunk prefix is 0) as written, the national
// significant number must have a possible length, match the general pattern and be valid for the
// region (phonenumbers.IsValidNumberForRegion). Leading zeros that are part of the number (Italy)
// are kept as libphonenumber's parser would.
func (r *phoneRegion) validNational(digits []byte) bool {
	try := func(nsn []byte) bool {
		if len(nsn) < 2 || len(nsn) > 17 || !slices.Contains(r.lengths, int32(len(nsn))) || !r.general.Match(nsn) {
			return false
		}
		return phonenumbers.IsValidNumberForRegion(makeNumber(r.cc, nsn), r.code)
	}
	hasPrefix := r.prefix != "" && len(digits) > len(r.prefix) && string(digits[:len(r.prefix)]) == r.prefix
	if hasPrefix && try(digits[len(r.prefix):]) {
		return true
	}
	// Where the trunk prefix is 0, national numbers are written with it ("020 7946 0958"): a number
	// without it is not read as one of that region's (this keeps "123 456 789" from being tried
	// against every European numbering plan).
	if r.prefix == "0" {
		return false
	}
	return try(digits)
}

// possibleNational reports whether digits, read as a national number of the region (with the same
// trunk prefix rule as validNational), have a possible length, local-only lengths included
// ("555 0132" in the US).
func (r *phoneRegion) possibleNational(digits []byte) bool {
	nsn := digits
	switch {
	case r.prefix != "" && len(digits) > len(r.prefix) && string(digits[:len(r.prefix)]) == r.prefix:
		nsn = digits[len(r.prefix):]
	case r.prefix == "0":
		return false
	}
	if len(nsn) < 2 || len(nsn) > 17 {
		return false
	}
	switch phonenumbers.IsPossibleNumberWithReason(makeNumber(r.cc, nsn)) {
	case phonenumbers.IS_POSSIBLE, phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return true
	}
	return false
}

// plausible is the cheap pre-check of a national number for the region: the national significant
// number (trunk prefix removed) has a possible length and matches the region's general pattern.
func (r *phoneRegion) plausible(digits []byte) bool {
	try := func(nsn []byte) bool {
		return slices.Contains(r.lengths, int32(len(nsn))) && r.general.Match(nsn)
	}
	if r.prefix != "" && len(digits) > len(r.prefix) && string(digits[:len(r.prefix)]) == r.prefix {
		if try(digits[len(r.prefix):]) {
			return true
		}
	}
	return try(digits)
}

// streetWords name street types; a number followed by one of them on the same line (within three
// words) is a street address.
var streetWords = map[string]bool{
	"street": true, "st": true, "avenue": true, "ave": true, "road": true, "rd": true, "boulevard": true,
	"blvd": true, "lane": true, "ln": true, "drive": true, "suite": true, "apt": true, "apartment": true,
	"highway": true, "hwy": true, "parkway": true, "rue": true, "strasse": true, "straße": true,
	"calle": true, "avenida": true, "rua": true, "via": true, "weg": true, "gasse": true, "platz": true,
	"plaza": true, "square": true, "court": true, "terrace": true, "crescent": true, "close": true,
}

func followedByStreetWord(lower []byte, end int) bool {
	j := end
	for w := 0; w < 3 && j < len(lower) && j-end < 48; w++ {
		for j < len(lower) && (lower[j] == ' ' || lower[j] == ',' || lower[j] == '\t') {
			j++
		}
		k := j
		for k < len(lower) && (isAlpha(lower[k]) || lower[k] >= 0x80) {
			k++
		}
		if k == j {
			return false
		}
		if streetWords[string(lower[j:k])] {
			return true
		}
		j = k
		if j < len(lower) && lower[j] == '.' {
			j++
		}
	}
	return false
}

// makeNumber builds the phonenumbers value of a country calling code and a national significant
// number, keeping leading zeros the way libphonenumber's parser does.
func makeNumber(cc int32, nsn []byte) *phonenumbers.PhoneNumber {
	var n uint64
	for _, c := range nsn {
		n = n*10 + uint64(c-'0')
	}
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &n}
	if len(nsn) > 1 && nsn[0] == '0' {
		lz := true
		zeros := int32(1)
		for int(zeros) < len(nsn)-1 && nsn[zeros] == '0' {
			zeros++
		}
		num.ItalianLeadingZero = &lz
		if zeros != 1 {
			num.NumberOfLeadingZeros = &zeros
		}
	}
	return num
}

// intlValid validates the digits of an international number (after + or the 00/011 prefix): the
// country calling code (calling codes are prefix-free), then the national significant number as
// written or without a trunk prefix written after the code ("+41 (0)44 …"), with
// phonenumbers.IsValidNumber; possible reports whether it has a possible length.
func intlValid(digits []byte) (valid, possible bool) {
	for l := 1; l <= 3 && l < len(digits); l++ {
		cc := atoi(digits[:l])
		if !callingCodes[cc] {
			continue
		}
		nsn := digits[l:]
		if len(nsn) < 4 || len(nsn) > 17 {
			return false, false
		}
		num := makeNumber(int32(cc), nsn)
		if phonenumbers.IsValidNumber(num) {
			return true, true
		}
		possible = phonenumbers.IsPossibleNumber(num)
		if nsn[0] == '0' {
			num = makeNumber(int32(cc), nsn[1:])
			if phonenumbers.IsValidNumber(num) {
				return true, true
			}
			possible = possible || phonenumbers.IsPossibleNumber(num)
		}
		return false, possible
	}
	return false, false
}

// currencyWords are currency codes, names and symbols: a number written next to one is an amount.
var currencyWords = map[string]bool{
	"usd": true, "eur": true, "gbp": true, "chf": true, "jpy": true, "cny": true, "inr": true, "cad": true,
	"aud": true, "sek": true, "nok": true, "dkk": true, "pln": true, "brl": true, "mxn": true, "rub": true,
	"euro": true, "euros": true, "dollar": true, "dollars": true, "pounds": true, "francs": true, "yen": true,
	"rupees": true, "kr": true, "zł": true, "zl": true, "$": true, "€": true, "£": true, "¥": true, "₹": true,
	"r$": true, "us$": true, "fr": true,
}

// nearCurrency reports whether the word just before start or just after end is a currency.
func nearCurrency(lower []byte, start, end int) bool {
	isCur := func(w []byte) bool { return len(w) > 0 && currencyWords[string(w)] }
	// before: skip one space, take the preceding non-space run
	j := start
	if j > 0 && lower[j-1] == ' ' {
		j--
	}
	k := j
	for k > 0 && j-k < 6 && lower[k-1] != ' ' && lower[k-1] != '\n' && !isDigit(lower[k-1]) {
		k--
	}
	if isCur(lower[k:j]) {
		return true
	}
	// after
	j = end
	if j < len(lower) && lower[j] == ' ' {
		j++
	}
	k = j
	for k < len(lower) && k-j < 8 && (isAlpha(lower[k]) || lower[k] >= 0x80 || lower[k] == '$') {
		k++
	}
	return isCur(lower[j:k])
}
