package pii

import (
	"bytes"
	"encoding/base64"
	"math"
	"slices"
	"strings"
)

// API keys, bearer tokens, private keys and generic secrets.

// keyFormat is a vendor key: a literal prefix followed by a body of allowed bytes.
type keyFormat struct {
	prefix   string
	name     string
	body     func(byte) bool
	min, max int // body length
	score    float64
	check    func(tok string) bool // optional extra validation of the whole token
}

func isUpperAlnum(b byte) bool { return isDigit(b) || ('A' <= b && b <= 'Z') }
func isTokenChar(b byte) bool  { return isAlnum(b) || b == '_' || b == '-' }
func isSlackChar(b byte) bool  { return isAlnum(b) || b == '-' }
func isAlnumUnder(b byte) bool { return isAlnum(b) || b == '_' }

var keyFormats = []keyFormat{
	// AWS access key ids (long-term AKIA, temporary ASIA, and the other unique-id prefixes).
	{prefix: "AKIA", name: "aws_access_key_id", body: isUpperAlnum, min: 16, max: 16, score: 0.9},
	{prefix: "ASIA", name: "aws_access_key_id", body: isUpperAlnum, min: 16, max: 16, score: 0.9},
	{prefix: "ABIA", name: "aws_access_key_id", body: isUpperAlnum, min: 16, max: 16, score: 0.8},
	{prefix: "ACCA", name: "aws_access_key_id", body: isUpperAlnum, min: 16, max: 16, score: 0.8},
	// GitHub tokens.
	{prefix: "ghp_", name: "github_token", body: isAlnum, min: 36, max: 36, score: 0.9},
	{prefix: "gho_", name: "github_token", body: isAlnum, min: 36, max: 36, score: 0.9},
	{prefix: "ghu_", name: "github_token", body: isAlnum, min: 36, max: 36, score: 0.9},
	{prefix: "ghs_", name: "github_token", body: isAlnum, min: 36, max: 36, score: 0.9},
	{prefix: "ghr_", name: "github_token", body: isAlnum, min: 36, max: 36, score: 0.9},
	{prefix: "github_pat_", name: "github_token", body: isAlnumUnder, min: 82, max: 82, score: 0.95},
	{prefix: "glpat-", name: "gitlab_token", body: isTokenChar, min: 20, max: 64, score: 0.9},
	// Slack tokens.
	{prefix: "xoxb-", name: "slack_token", body: isSlackChar, min: 10, max: 250, score: 0.9},
	{prefix: "xoxp-", name: "slack_token", body: isSlackChar, min: 10, max: 250, score: 0.9},
	{prefix: "xoxa-", name: "slack_token", body: isSlackChar, min: 10, max: 250, score: 0.9},
	{prefix: "xoxr-", name: "slack_token", body: isSlackChar, min: 10, max: 250, score: 0.9},
	{prefix: "xoxs-", name: "slack_token", body: isSlackChar, min: 10, max: 250, score: 0.9},
	{prefix: "xoxe-", name: "slack_token", body: isSlackChar, min: 10, max: 250, score: 0.9},
	{prefix: "https://hooks.slack.com/services/", name: "slack_webhook", body: func(b byte) bool { return isAlnum(b) || b == '/' }, min: 20, max: 120, score: 0.9},
	// Stripe secret and restricted keys.
	{prefix: "sk_live_", name: "stripe_key", body: isAlnum, min: 20, max: 247, score: 0.95},
	{prefix: "rk_live_", name: "stripe_key", body: isAlnum, min: 20, max: 247, score: 0.95},
	{prefix: "sk_test_", name: "stripe_key", body: isAlnum, min: 20, max: 247, score: 0.8},
	{prefix: "rk_test_", name: "stripe_key", body: isAlnum, min: 20, max: 247, score: 0.8},
	// Anthropic and OpenAI keys (the specific prefixes before the generic sk-).
	{prefix: "sk-ant-", name: "anthropic_api_key", body: isTokenChar, min: 32, max: 200, score: 0.95},
	{prefix: "sk-proj-", name: "openai_api_key", body: isTokenChar, min: 20, max: 250, score: 0.95},
	{prefix: "sk-svcacct-", name: "openai_api_key", body: isTokenChar, min: 20, max: 250, score: 0.95},
	{prefix: "sk-admin-", name: "openai_api_key", body: isTokenChar, min: 20, max: 250, score: 0.95},
	{prefix: "sk-", name: "openai_api_key", body: isTokenChar, min: 32, max: 200, score: 0.85, check: func(tok string) bool {
		for _, p := range []string{"sk-ant-", "sk-proj-", "sk-svcacct-", "sk-admin-"} {
			if strings.HasPrefix(tok, p) {
				return false
			}
		}
		return hasDigitAndLetter(tok[3:])
	}},
	// Google API keys, npm, Hugging Face, SendGrid.
	{prefix: "AIza", name: "google_api_key", body: isTokenChar, min: 35, max: 35, score: 0.9},
	{prefix: "npm_", name: "npm_token", body: isAlnum, min: 36, max: 36, score: 0.9},
	{prefix: "hf_", name: "huggingface_token", body: isAlpha, min: 34, max: 34, score: 0.85},
	{prefix: "SG.", name: "sendgrid_key", body: func(b byte) bool { return isTokenChar(b) || b == '.' }, min: 60, max: 70, score: 0.9,
		check: func(tok string) bool { return strings.Count(tok, ".") == 2 }},
}

func hasDigitAndLetter(s string) bool {
	d, l := false, false
	for i := 0; i < len(s); i++ {
		d = d || isDigit(s[i])
		l = l || isAlpha(s[i])
	}
	return d && l
}

// keyFormatsByFirst indexes keyFormats by the first byte of their prefix, keeping their order (the
// specific prefixes come before the generic ones).
var keyFormatsByFirst = func() (idx [256][]*keyFormat) {
	for i := range keyFormats {
		f := &keyFormats[i]
		idx[f.prefix[0]] = append(idx[f.prefix[0]], f)
	}
	return idx
}()

func findAPIKeys(d *Detector, s *scan) {
	t := s.text
	for i := 0; i < len(t); i++ {
		fs := keyFormatsByFirst[t[i]]
		if len(fs) == 0 || (i > 0 && isTokenChar(t[i-1])) {
			continue
		}
		for _, f := range fs {
			if !strings.HasPrefix(t[i:], f.prefix) {
				continue
			}
			j := i + len(f.prefix)
			for j < len(t) && j-i-len(f.prefix) < f.max && f.body(t[j]) {
				j++
			}
			n := j - i - len(f.prefix)
			if n < f.min || (j < len(t) && isTokenChar(t[j])) {
				continue
			}
			if f.check != nil && !f.check(t[i:j]) {
				continue
			}
			s.add(d, TypeAPIKey, f.name, i, j, f.score)
			i = j - 1
			break
		}
	}
	findJWTs(d, s)
}

func isB64URL(b byte) bool { return isAlnum(b) || b == '-' || b == '_' }

// findJWTs reports JSON Web Tokens: three base64url segments whose first decodes to a JSON object
// with an "alg" member.
func findJWTs(d *Detector, s *scan) {
	t := s.text
	for off := 0; off < len(t); {
		k := strings.Index(t[off:], "eyJ")
		if k < 0 {
			return
		}
		start := off + k
		off = start + 3
		if start > 0 && isB64URL(t[start-1]) {
			continue
		}
		var seg [3]int // ends of the segments
		j, n := start, 0
		for n < 3 {
			for j < len(t) && isB64URL(t[j]) {
				j++
			}
			seg[n] = j
			n++
			if n < 3 {
				if j >= len(t) || t[j] != '.' {
					break
				}
				j++
			}
		}
		// No token can start inside the first segment: skip it whatever happens next.
		off = max(off, seg[0])
		if n < 3 || seg[0]-start < 10 || seg[1]-seg[0]-1 < 10 {
			continue
		}
		if j < len(t) && (t[j] == '.' || t[j] == '=') {
			continue
		}
		hdr := t[start:seg[0]]
		var buf [512]byte
		if base64.RawURLEncoding.DecodedLen(len(hdr)) > len(buf) {
			continue
		}
		m, err := base64.RawURLEncoding.Decode(buf[:], []byte(hdr))
		if err != nil || m < 2 || buf[0] != '{' || !bytes.Contains(buf[:m], []byte(`"alg"`)) {
			continue
		}
		s.add(d, TypeAPIKey, "jwt", start, j, 0.9)
		off = j
	}
}

// maxPEMBody bounds the search for the end of a PEM block (an RSA-8192 key is about 6 KB).
const maxPEMBody = 16 << 10

// findPEM reports PEM private key blocks, from BEGIN to the matching END line (or to the end of the
// base64 body when the block is truncated).
func findPEM(d *Detector, s *scan) {
	t := s.text
	for off := 0; off < len(t); {
		k := strings.Index(t[off:], "-----BEGIN ")
		if k < 0 {
			return
		}
		start := off + k
		off = start + 11
		le := strings.Index(t[off:], "-----")
		if le < 0 || le > 64 {
			continue
		}
		label := t[off : off+le]
		if !strings.HasSuffix(label, "PRIVATE KEY") && !strings.HasSuffix(label, "PRIVATE KEY BLOCK") {
			continue
		}
		bodyStart := off + le + 5
		end := "-----END " + label + "-----"
		if e := strings.Index(t[bodyStart:min(len(t), bodyStart+maxPEMBody)], end); e >= 0 {
			stop := bodyStart + e + len(end)
			s.add(d, TypePrivateKey, "pem_private_key", start, stop, 1.0)
			off = stop
			continue
		}
		j := bodyStart
		for j < len(t) && j-bodyStart < maxPEMBody && (isAlnum(t[j]) || t[j] == '+' || t[j] == '/' || t[j] == '=' || t[j] == '\n' || t[j] == '\r' || t[j] == ':' || t[j] == ' ' || t[j] == '-') {
			j++
		}
		for j > bodyStart && (t[j-1] == '\n' || t[j-1] == '\r' || t[j-1] == ' ') {
			j--
		}
		s.add(d, TypePrivateKey, "pem_private_key", start, j, 0.9)
		off = max(j, off)
	}
}

// secretKeywords introduce a secret value. weak keywords (password-like) accept human passwords with a
// lower entropy threshold.
var secretKeywords = []struct {
	kw       string
	password bool
}{
	{"password", true}, {"passwd", true}, {"passphrase", true}, {"pwd", true}, {"passwort", true},
	{"contraseña", true}, {"mot de passe", true},
	{"secret", false}, {"api_key", false}, {"apikey", false}, {"api-key", false}, {"access_key", false},
	{"access-key", false}, {"private_key", false}, {"token", false}, {"credential", false},
	{"auth_key", false}, {"client_secret", false},
}

// placeholderValues are values that stand for a secret without being one.
var placeholderValues = map[string]bool{
	"password": true, "secret": true, "token": true, "null": true, "none": true, "nil": true, "true": true,
	"false": true, "changeme": true, "example": true, "redacted": true, "hidden": true, "undefined": true,
	"required": true, "optional": true, "string": true, "empty": true, "xxxxxx": true, "removed": true,
}

// findSecrets reports values assigned after a secret keyword ("password=…", "api_key: …",
// "my password is …") that are not placeholders and pass an entropy threshold: at least 6 bytes and
// 2.0 bits per byte after password-like keywords, at least 8 bytes and 3.0 bits per byte (2.5 for
// values shorter than 16) and both letters and digits or symbols after the others.
func findSecrets(d *Detector, s *scan) {
	t := s.text
	lower := s.lower()
	for i := 0; i < len(lower); i++ {
		kws := secretKeywordsByFirst[lower[i]]
		if len(kws) == 0 || (i > 0 && isAlpha(lower[i-1])) {
			continue
		}
		for _, kw := range kws {
			if bytes.HasPrefix(lower[i:], kw.kw) {
				if end, ok := secretAt(d, s, t, lower, i, kw.kw, kw.password); ok {
					i = end - 1
				}
				break
			}
		}
	}
	findURLCredentials(d, s)
}

// findURLCredentials reports the password of URLs with credentials (postgres://user:password@host).
func findURLCredentials(d *Detector, s *scan) {
	t, lower := s.text, s.lower()
	for off := 0; off < len(t); {
		k := strings.Index(t[off:], "://")
		if k < 0 {
			return
		}
		u := off + k + 3
		off = u
		end := u
		for end < len(t) && end-u < 256 && isURLChar(t[end]) && t[end] != '/' && t[end] != '?' && t[end] != '#' {
			end++
		}
		at := strings.LastIndexByte(t[u:end], '@')
		if at < 0 {
			continue
		}
		colon := strings.IndexByte(t[u:u+at], ':')
		if colon < 0 {
			continue
		}
		ps, pe := u+colon+1, u+at
		if score, ok := secretScore(t[ps:pe], lower[ps:pe], true, []byte("password")); ok {
			s.add(d, TypeSecret, "url_credentials", ps, pe, score)
		}
		off = end
	}
}

type secretKW struct {
	kw       []byte
	password bool
}

// secretKeywordsByFirst indexes secretKeywords by their first byte, longest keyword first.
var secretKeywordsByFirst = func() (idx [256][]secretKW) {
	for _, k := range secretKeywords {
		idx[k.kw[0]] = append(idx[k.kw[0]], secretKW{[]byte(k.kw), k.password})
	}
	for i := range idx {
		slices.SortStableFunc(idx[i], func(a, b secretKW) int { return len(b.kw) - len(a.kw) })
	}
	return idx
}()

// secretAt parses "<keyword>[ident][quote] <sep> <value>" at ks and reports the value.
func secretAt(d *Detector, s *scan, t string, lower []byte, ks int, w []byte, password bool) (int, bool) {
	j := ks + len(w)
	for j < len(t) && (isAlnum(t[j]) || t[j] == '_' || t[j] == '-') && j-ks < 48 {
		j++
	}
	if j < len(t) && (t[j] == '"' || t[j] == '\'') {
		j++
	}
	for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
		j++
	}
	switch {
	case j+1 < len(t) && (t[j:j+2] == ":=" || t[j:j+2] == "=>"):
		j += 2
	case j < len(t) && (t[j] == '=' || t[j] == ':'):
		j++
	case j+3 <= len(t) && string(lower[j:j+3]) == "is ":
		j += 3
	default:
		return 0, false
	}
	for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
		j++
	}
	vs, ve, ok := secretValue(t, j)
	if !ok {
		return 0, false
	}
	score, ok := secretScore(t[vs:ve], lower[vs:ve], password, w)
	if !ok {
		return 0, false
	}
	s.add(d, TypeSecret, "generic_secret", vs, ve, score)
	return ve, true
}

// secretValue returns the span of a quoted or bare value starting at j.
func secretValue(t string, j int) (int, int, bool) {
	if j >= len(t) {
		return 0, 0, false
	}
	if q := t[j]; q == '"' || q == '\'' || q == '`' {
		e := strings.IndexByte(t[j+1:min(len(t), j+1+256)], q)
		if e < 0 {
			return 0, 0, false
		}
		v := t[j+1 : j+1+e]
		if strings.ContainsAny(v, "\n\r") {
			return 0, 0, false
		}
		return j + 1, j + 1 + e, true
	}
	e := j
	for e < len(t) && e-j < 256 && t[e] > ' ' && strings.IndexByte(",;)]}>\"'`", t[e]) < 0 && !queryParamAt(t, e) {
		e++
	}
	if e < len(t) && t[e] == '(' {
		return 0, 0, false // a function call, not a literal
	}
	for e > j && (t[e-1] == '.' || t[e-1] == ':') {
		e--
	}
	return j, e, e > j
}

// queryParamAt reports whether t[i] is the '&' of a following URL query parameter ("&user=").
func queryParamAt(t string, i int) bool {
	if t[i] != '&' {
		return false
	}
	j := i + 1
	for j < len(t) && (isAlnum(t[j]) || t[j] == '_' || t[j] == '-' || t[j] == '.') {
		j++
	}
	return j > i+1 && j < len(t) && t[j] == '='
}

func secretScore(v string, lv []byte, password bool, kw []byte) (float64, bool) {
	n := len(v)
	if n < 6 || (!password && n < 8) {
		return 0, false
	}
	switch v[0] {
	case '<', '$', '{', '%', '[', '*', '/', '~':
		return 0, false // <password>, ${VAR}, {{ secret }}, %s, ****, a path
	}
	if placeholderValues[string(lv)] || allSame([]byte(v)) || bytes.Contains(lv, kw) ||
		bytes.Contains(lv, []byte("your")) || bytes.Contains(lv, []byte("example")) || bytes.Contains(lv, []byte("xxxx")) {
		return 0, false
	}
	h := entropy(v)
	if password {
		if h < 2.0 {
			return 0, false
		}
		return 0.7, true
	}
	min := 3.0
	if n < 16 {
		min = 2.5
	}
	if h < min || !hasDigitOrSymbolAndLetter(v) {
		return 0, false
	}
	if n >= 20 && h >= 3.5 {
		return 0.85, true
	}
	return 0.7, true
}

func hasDigitOrSymbolAndLetter(s string) bool {
	o, l := false, false
	for i := 0; i < len(s); i++ {
		if isAlpha(s[i]) {
			l = true
		} else {
			o = true
		}
	}
	return o && l
}

// entropy is the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}
