package pii

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/sha3"
)

// E-mail addresses, IP addresses, URLs and cryptocurrency addresses.

const (
	scoreEmail      = 0.9
	scoreIPv4       = 0.6
	scoreIPv6       = 0.7
	scoreIPSpecial  = 0.3 // loopback, unspecified, broadcast: not personal data without context
	scoreURL        = 0.6
	scoreURLWWW     = 0.5
	scoreBTC        = 0.9 // base58check or bech32 checksum passes
	scoreETHChecked = 0.95
	scoreETHPlain   = 0.6 // all lower or all upper case: no checksum to verify
)

func isLocalChar(b byte) bool {
	return isAlnum(b) || b == '.' || b == '_' || b == '%' || b == '+' || b == '-'
}

// fileExtensions are "TLDs" that are really file extensions (icon@2x.png is not an e-mail address).
var fileExtensions = map[string]bool{
	"png": true, "jpg": true, "jpeg": true, "gif": true, "svg": true, "webp": true, "bmp": true, "ico": true,
	"json": true, "yaml": true, "yml": true, "txt": true, "html": true, "htm": true, "css": true, "js": true,
	"ts": true, "tsx": true, "jsx": true, "lock": true,
}

func findEmails(d *Detector, s *scan) {
	t := s.text
	for off := 0; off < len(t); {
		k := strings.IndexByte(t[off:], '@')
		if k < 0 {
			return
		}
		at := off + k
		off = at + 1
		ls := at
		for ls > 0 && at-ls < 64 {
			if isLocalChar(t[ls-1]) {
				ls--
				continue
			}
			// Internationalised local parts (RFC 6531): letters and digits beyond ASCII.
			r, n := utf8.DecodeLastRuneInString(t[:ls])
			if t[ls-1] < utf8.RuneSelf || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
				break
			}
			ls -= n
		}
		if ls > 0 && at-ls >= 64 {
			continue // local part longer than 64 bytes
		}
		for ls < at && (t[ls] == '.' || t[ls] == '-' || t[ls] == '+') {
			ls++
		}
		if inURLAuthority(t, ls) {
			continue // scheme://user:password@host is a URL, not an e-mail address
		}
		if ls == at || t[at-1] == '.' {
			continue
		}
		de, lastDot, labelStart := at+1, -1, at+1
		for de < len(t) && de-at <= 253 {
			c := t[de]
			if isAlnum(c) || c == '-' {
				de++
				continue
			}
			if c >= utf8.RuneSelf { // internationalised domain name
				if r, n := utf8.DecodeRuneInString(t[de:]); unicode.IsLetter(r) || unicode.IsDigit(r) {
					de += n
					continue
				}
			}
			if c == '.' && de > labelStart && de+1 < len(t) && isAlnum(t[de+1]) && t[de-1] != '-' {
				lastDot = de
				de++
				labelStart = de
				continue
			}
			break
		}
		if lastDot < 0 || t[de-1] == '-' {
			continue
		}
		tld := t[lastDot+1 : de]
		if len(tld) < 2 || len(tld) > 63 || !validTLD(tld) || fileExtensions[strings.ToLower(tld)] {
			continue
		}
		if de < len(t) && (t[de] == '_' || t[de] == '@') {
			continue
		}
		s.add(d, TypeEmail, "email", ls, de, scoreEmail)
		off = de
	}
}

// validTLD accepts alphabetic TLDs, punycode TLDs (xn--…) and internationalised TLDs.
func validTLD(tld string) bool {
	if allAlpha(tld) {
		return len(tld) <= 24
	}
	if strings.HasPrefix(strings.ToLower(tld), "xn--") {
		return true
	}
	for _, r := range tld {
		if r < utf8.RuneSelf || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

// inURLAuthority reports whether offset i follows "scheme://" within the same run of non-space bytes.
func inURLAuthority(t string, i int) bool {
	for j := i; j >= 3 && i-j < 256; j-- {
		c := t[j-1]
		if c <= ' ' || c == '/' && t[j-2] != '/' {
			return false
		}
		if c == '/' && t[j-2] == '/' && t[j-3] == ':' {
			return true
		}
	}
	return false
}

func allAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isAlpha(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func findIPs(d *Detector, s *scan) {
	t := s.text
	// IPv4: four dot-separated groups of one to three digits, parsed by netip (which rejects leading
	// zeros and octets above 255).
	for r := range s.digitRuns(".") {
		portOK := r.end+1 < len(t) && t[r.end] == ':' && isDigit(t[r.end+1]) // 10.0.0.1:8443
		if r.groups != 4 || r.digits > 12 || !numLeftOK(t, r.start) || !(numRightOK(t, r.end) || portOK) {
			continue
		}
		a, err := netip.ParseAddr(t[r.start:r.end])
		if err != nil || !a.Is4() {
			continue
		}
		score := scoreIPv4
		if a.IsLoopback() || a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			score = scoreIPSpecial
		}
		s.add(d, TypeIPAddress, "ip_address", r.start, r.end, score)
	}
	// IPv6: runs of hex digits and colons (an IPv4 tail allowed) around each colon.
	for pos := 0; pos < len(t); {
		k := strings.IndexByte(t[pos:], ':')
		if k < 0 {
			return
		}
		c := pos + k
		i := c
		for i > 0 && c-i < 45 && (isHex(t[i-1]) || t[i-1] == ':') {
			i--
		}
		j := c
		for j < len(t) && j-i < 45 && (isHex(t[j]) || t[j] == ':' || t[j] == '.') {
			j++
		}
		pos = max(j, c+1)
		for j > i && (t[j-1] == '.' || (t[j-1] == ':' && (j-2 < i || t[j-2] != ':'))) {
			j--
		}
		if i > 0 && (isAlnum(t[i-1]) || t[i-1] == '_' || t[i-1] == '.') {
			continue
		}
		if j < len(t) && (isAlnum(t[j]) || t[j] == '_') {
			continue
		}
		cand := t[i:j]
		hex := 0
		for x := 0; x < len(cand); x++ {
			if isHex(cand[x]) {
				hex++
			}
		}
		if hex < 4 || strings.Count(cand, ":") < 2 {
			continue
		}
		a, err := netip.ParseAddr(cand)
		if err != nil || !a.Is6() {
			continue
		}
		score := scoreIPv6
		if a.IsLoopback() || a.IsUnspecified() {
			score = scoreIPSpecial
		}
		s.add(d, TypeIPAddress, "ip_address", i, j, score)
	}
}

var urlSchemes = []string{"https", "http", "ftps", "ftp", "sftp", "wss", "ws"}

func isURLChar(b byte) bool {
	if b <= ' ' || b == 0x7f {
		return false
	}
	switch b {
	case '<', '>', '"', '`', '{', '}', '|', '\\', '^':
		return false
	}
	return true
}

func findURLs(d *Detector, s *scan) {
	t := s.text
	lower := s.lower()
	// scheme://
	for off := 0; off < len(t); {
		k := strings.Index(t[off:], "://")
		if k < 0 {
			break
		}
		c := off + k
		off = c + 3
		start := -1
		for _, sch := range urlSchemes {
			if c >= len(sch) && string(lower[c-len(sch):c]) == sch {
				start = c - len(sch)
				break
			}
		}
		if start < 0 || (start > 0 && (isAlnum(t[start-1]) || t[start-1] == '+' || t[start-1] == '-' || t[start-1] == '.')) {
			continue
		}
		if end, ok := urlEnd(t, c+3); ok {
			s.add(d, TypeURL, "url", start, end, scoreURL)
			off = end
		}
	}
	// www. without a scheme
	for off := 0; off < len(lower); {
		k := bytes.Index(lower[off:], []byte("www."))
		if k < 0 {
			break
		}
		c := off + k
		off = c + 4
		if c > 0 && (isAlnum(t[c-1]) || t[c-1] == '/' || t[c-1] == '.' || t[c-1] == '@' || t[c-1] == '-') {
			continue
		}
		if end, ok := urlEnd(t, c); ok {
			s.add(d, TypeURL, "url", c, end, scoreURLWWW)
			off = end
		}
	}
}

// maxURL bounds the length of a URL (longer runs are cut there).
const maxURL = 4096

// urlEnd parses the authority at h and the rest of a URL; it returns the end of the URL after
// trimming trailing punctuation, and whether the host is a plausible host name or IP address.
func urlEnd(t string, h int) (int, bool) {
	// authority: [userinfo@]host[:port]
	limit := min(len(t), h+maxURL)
	j := h
	for j < limit && isURLChar(t[j]) && t[j] != '/' && t[j] != '?' && t[j] != '#' {
		j++
	}
	auth := t[h:j]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		auth = auth[at+1:]
	}
	host := auth
	if strings.HasPrefix(host, "[") {
		e := strings.IndexByte(host, ']')
		if e < 0 {
			return 0, false
		}
		if a, err := netip.ParseAddr(host[1:e]); err != nil || !a.Is6() {
			return 0, false
		}
	} else {
		if p := strings.LastIndexByte(host, ':'); p >= 0 {
			host = host[:p]
		}
		host = strings.TrimRight(host, ".,;:!?)]}'")
		if !validHost(host) {
			return 0, false
		}
	}
	for j < limit && isURLChar(t[j]) {
		j++
	}
	// Trim trailing punctuation, keeping closing brackets that close one inside the URL.
	paren := strings.Count(t[h:j], "(") - strings.Count(t[h:j], ")")
	bracket := strings.Count(t[h:j], "[") - strings.Count(t[h:j], "]")
	for j > h {
		c := t[j-1]
		if strings.IndexByte(".,;:!?'*", c) >= 0 {
			j--
			continue
		}
		if c == ')' && paren < 0 {
			paren++
			j--
			continue
		}
		if c == ']' && bracket < 0 {
			bracket++
			j--
			continue
		}
		break
	}
	return j, j > h
}

// validHost accepts localhost, IPv4 addresses and host names whose last label is alphabetic.
func validHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	if a, err := netip.ParseAddr(h); err == nil && a.Is4() {
		return true
	}
	dot := strings.LastIndexByte(h, '.')
	if dot <= 0 || len(h)-dot-1 < 2 || !allAlpha(h[dot+1:]) {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !isAlnum(c) && c != '-' && c != '.' && c < 0x80 {
			return false
		}
	}
	return true
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() (idx [256]int8) {
	for i := range idx {
		idx[i] = -1
	}
	for i := 0; i < len(base58Alphabet); i++ {
		idx[base58Alphabet[i]] = int8(i)
	}
	return idx
}()

// findCrypto reports Bitcoin and Ethereum addresses whose checksums verify.
func findCrypto(d *Detector, s *scan) {
	t := s.text
	for i := 0; i < len(t); {
		if !isAlnum(t[i]) {
			i++
			continue
		}
		j := i
		for j < len(t) && isAlnum(t[j]) {
			j++
		}
		tok := t[i:j]
		leftOK := i == 0 || (t[i-1] != '_' && t[i-1] != '-' && t[i-1] != '/' && t[i-1] != '.')
		rightOK := j == len(t) || (t[j] != '_' && t[j] != '-')
		start := i
		i = j
		if !leftOK || !rightOK || len(tok) < 14 {
			continue
		}
		switch {
		case (tok[0] == '1' || tok[0] == '3') && len(tok) >= 26 && len(tok) <= 35:
			if base58CheckAddress(tok) {
				s.add(d, TypeCrypto, "bitcoin_address", start, j, scoreBTC)
			}
		case len(tok) >= 14 && len(tok) <= 74 && (strings.HasPrefix(tok, "bc1") || strings.HasPrefix(tok, "BC1")):
			if segwitAddress(tok) {
				s.add(d, TypeCrypto, "bitcoin_address", start, j, scoreBTC)
			}
		case len(tok) == 42 && tok[0] == '0' && tok[1] == 'x':
			if score, ok := ethAddress(tok[2:]); ok {
				s.add(d, TypeCrypto, "ethereum_address", start, j, score)
			}
		}
	}
}

// base58CheckAddress decodes a base58check P2PKH (version 0) or P2SH (version 5) address.
func base58CheckAddress(a string) bool {
	var b [25]byte
	ones := 0
	for ones < len(a) && a[ones] == '1' {
		ones++
	}
	for i := 0; i < len(a); i++ {
		v := base58Index[a[i]]
		if v < 0 {
			return false
		}
		carry := int(v)
		for k := len(b) - 1; k >= 0; k-- {
			carry += 58 * int(b[k])
			b[k] = byte(carry)
			carry >>= 8
		}
		if carry != 0 {
			return false // more than 25 bytes
		}
	}
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	if zeros != ones || (b[0] != 0 && b[0] != 5) {
		return false
	}
	h1 := sha256.Sum256(b[:21])
	h2 := sha256.Sum256(h1[:])
	return bytes.Equal(h2[:4], b[21:])
}

const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func bech32Polymod(v []byte, chk uint32) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	for _, x := range v {
		b := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(x)
		for i := 0; i < 5; i++ {
			if (b>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// segwitAddress verifies a mainnet (bc) bech32 (witness v0) or bech32m (v1+) address (BIP 173/350).
func segwitAddress(a string) bool {
	lower := strings.ToLower(a)
	if lower != a && strings.ToUpper(a) != a {
		return false // mixed case is invalid
	}
	data := make([]byte, 0, 74)
	for i := 3; i < len(lower); i++ {
		k := strings.IndexByte(bech32Charset, lower[i])
		if k < 0 {
			return false
		}
		data = append(data, byte(k))
	}
	if len(data) < 7 {
		return false
	}
	chk := bech32Polymod([]byte{3, 3, 0, 2, 3}, 1) // hrp "bc" expanded: [b>>5, c>>5, 0, b&31, c&31]
	chk = bech32Polymod(data, chk)
	ver := data[0]
	if ver > 16 {
		return false
	}
	// Program length in bytes from the 5-bit groups.
	bits := (len(data) - 7) * 5
	plen := bits / 8
	if bits%8 >= 5 || plen < 2 || plen > 40 {
		return false
	}
	switch {
	case ver == 0:
		return chk == 1 && (plen == 20 || plen == 32)
	default:
		return chk == 0x2bc830a3
	}
}

// ethAddress checks a 40-hex-digit Ethereum address; mixed case must satisfy EIP-55.
func ethAddress(h string) (float64, bool) {
	hasLower, hasUpper := false, false
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isDigit(c):
		case 'a' <= c && c <= 'f':
			hasLower = true
		case 'A' <= c && c <= 'F':
			hasUpper = true
		default:
			return 0, false
		}
	}
	if allSame([]byte(h)) {
		return 0, false
	}
	if !hasLower || !hasUpper {
		return scoreETHPlain, true
	}
	var low [40]byte
	for i := 0; i < 40; i++ {
		c := h[i]
		if 'A' <= c && c <= 'F' {
			c += 32
		}
		low[i] = c
	}
	k := sha3.NewLegacyKeccak256()
	k.Write(low[:])
	var sum [32]byte
	k.Sum(sum[:0])
	for i := 0; i < 40; i++ {
		c := h[i]
		if isDigit(c) {
			continue
		}
		nib := sum[i/2] >> 4
		if i%2 == 1 {
			nib = sum[i/2] & 0xf
		}
		if (nib >= 8) != ('A' <= c && c <= 'F') {
			return 0, false
		}
	}
	return scoreETHChecked, true
}
