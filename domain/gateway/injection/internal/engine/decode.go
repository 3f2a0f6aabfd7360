package engine

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Decoders find encoded segments (base64, hex, binary, inline escapes,
// URL-encoding) and return their plain text so that it can be scanned like
// the rest of the input.

const (
	maxDecoded  = 16 << 10
	maxSegments = 8
)

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// printable reports decoded bytes that read as text: valid UTF-8, mostly
// printable, with letters.
func printable(b []byte) bool {
	if len(b) < 4 || !utf8.Valid(b) {
		return false
	}
	bad, letters, n := 0, 0, 0
	for _, r := range string(b) {
		n++
		switch {
		case r == '\n' || r == '\t' || r == '\r':
		case r < 0x20 || r == 0x7f || r == utf8.RuneError:
			bad++
		case ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || r > 0x7f:
			letters++
		}
	}
	return bad*10 < n && letters*2 >= n
}

// unescapeInline decodes \xNN, \uNNNN, \U00NNNNNN, &#NN;, &#xNN; and %NN
// sequences. It returns "" when nothing was decoded.
func unescapeInline(s string) string {
	if !strings.Contains(s, "\\x") && !strings.Contains(s, "\\u") && !strings.Contains(s, "\\U") && !strings.Contains(s, "&#") && strings.Count(s, "%") < 3 {
		return ""
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c == '\\' && i+3 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && hexVal(s[i+2]) >= 0 && hexVal(s[i+3]) >= 0 {
			b.WriteByte(byte(hexVal(s[i+2])<<4 | hexVal(s[i+3])))
			i += 4
			n++
			continue
		}
		if c == '\\' && i+5 < len(s) && s[i+1] == 'u' {
			if v, ok := hexN(s[i+2 : i+6]); ok {
				b.WriteRune(rune(v))
				i += 6
				n++
				continue
			}
		}
		if c == '\\' && i+9 < len(s) && s[i+1] == 'U' {
			if v, ok := hexN(s[i+2 : i+10]); ok && v <= utf8.MaxRune {
				b.WriteRune(rune(v))
				i += 10
				n++
				continue
			}
		}
		if c == '&' && i+3 < len(s) && s[i+1] == '#' {
			j := i + 2
			base := 10
			if s[j] == 'x' || s[j] == 'X' {
				base = 16
				j++
			}
			v, k := 0, j
			for k < len(s) && k-j < 7 && hexVal(s[k]) >= 0 && (base == 16 || s[k] <= '9') {
				v = v*base + hexVal(s[k])
				k++
			}
			if k > j && k < len(s) && s[k] == ';' && v > 0 && v <= utf8.MaxRune {
				b.WriteRune(rune(v))
				i = k + 1
				n++
				continue
			}
		}
		if c == '%' && i+2 < len(s) && hexVal(s[i+1]) >= 0 && hexVal(s[i+2]) >= 0 {
			b.WriteByte(byte(hexVal(s[i+1])<<4 | hexVal(s[i+2])))
			i += 3
			n++
			continue
		}
		b.WriteByte(c)
		i++
	}
	if n < 2 {
		return ""
	}
	out := b.String()
	if !utf8.ValidString(out) {
		out = strings.ToValidUTF8(out, " ")
	}
	return out
}

func hexN(s string) (int, bool) {
	v := 0
	for i := 0; i < len(s); i++ {
		h := hexVal(s[i])
		if h < 0 {
			return 0, false
		}
		v = v<<4 | h
	}
	return v, true
}

func isB64(c byte) bool {
	return ('A' <= c && c <= 'Z') || ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '+' || c == '/' || c == '-' || c == '_'
}

// decodeSegments returns the text of encoded segments found in s.
func decodeSegments(s string, out []string) []string {
	total := 0
	add := func(t string) {
		if len(out) < maxSegments && total+len(t) <= maxDecoded {
			out = append(out, t)
			total += len(t)
		}
	}
	if u := unescapeInline(s); u != "" {
		add(u)
	}
	// base64 and contiguous hex runs
	for i := 0; i < len(s); {
		if !isB64(s[i]) {
			i++
			continue
		}
		j := i
		upper, lower, digit := false, false, false
		for j < len(s) && isB64(s[j]) {
			c := s[j]
			upper = upper || ('A' <= c && c <= 'Z')
			lower = lower || ('a' <= c && c <= 'z')
			digit = digit || ('0' <= c && c <= '9')
			j++
		}
		run := s[i:j]
		for j < len(s) && s[j] == '=' {
			j++
		}
		if len(run) >= 16 {
			if isHexRun(run) {
				if b := decodeHexRun(run); printable(b) {
					add(string(b))
				}
			} else if (upper && lower) || digit {
				if b := decodeB64(run); printable(b) {
					add(string(b))
				} else if b := decodeB64(rot13(run)); printable(b) { // base64, then ROT13
					add(string(b))
				}
			}
		}
		i = j
	}
	// space-separated hex pairs ("49 67 6e …", "0x49 0x67 …") and binary octets
	if t := spacedBytes(s); t != "" {
		add(t)
	}
	return out
}

func isHexRun(r string) bool {
	if len(r)%2 != 0 {
		return false
	}
	for i := 0; i < len(r); i++ {
		if hexVal(r[i]) < 0 {
			return false
		}
	}
	return true
}

func decodeHexRun(r string) []byte {
	b := make([]byte, len(r)/2)
	for i := range b {
		b[i] = byte(hexVal(r[2*i])<<4 | hexVal(r[2*i+1]))
	}
	return b
}

func decodeB64(run string) []byte {
	r := strings.TrimRight(run, "=")
	if len(r)%4 == 1 {
		r = r[:len(r)-1]
	}
	enc := base64.RawStdEncoding
	if strings.ContainsAny(r, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(r)
	if err != nil {
		return nil
	}
	return b
}

// spacedBytes decodes runs of at least five hex pairs or binary octets
// separated by spaces or commas ("49 67 6e …", "0x49 0x67 …", "01001001 …").
func spacedBytes(s string) string {
	var out, cur []byte
	flush := func() {
		if len(cur) >= 5 && printable(cur) {
			out = append(out, cur...)
			out = append(out, ' ')
		}
		cur = cur[:0]
	}
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\n' || s[i] == '\t') {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != ',' && s[j] != '\n' && s[j] != '\t' {
			j++
		}
		f := s[i:j]
		i = j
		if len(f) == 4 && (f[:2] == "0x" || f[:2] == "0X") {
			f = f[2:]
		}
		switch {
		case len(f) == 2 && hexVal(f[0]) >= 0 && hexVal(f[1]) >= 0:
			cur = append(cur, byte(hexVal(f[0])<<4|hexVal(f[1])))
		case len(f) == 8 && strings.Trim(f, "01") == "":
			v := 0
			for k := 0; k < 8; k++ {
				v = v<<1 | int(f[k]-'0')
			}
			cur = append(cur, byte(v))
		default:
			if len(cur) > 0 {
				flush()
			}
		}
	}
	flush()
	return string(out)
}

func rot13(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case 'a' <= c && c <= 'z':
			b[i] = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			b[i] = 'A' + (c-'A'+13)%26
		}
	}
	return string(b)
}

func reverseRunes(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// triggerWords are encoded (rot13, reversed) to spot encoded attacks cheaply.
var triggerWords = []string{"ignore", "instructions", "previous", "disregard", "system prompt", "reveal", "password", "jailbreak", "forget", "rules", "override", "restrictions", "secret"}

func triggerRules() []Rule {
	var rot, rev []string
	for _, w := range triggerWords {
		rot = append(rot, rot13(w))
		rev = append(rev, reverseRunes(w))
	}
	return []Rule{
		{Family: trigRot13, Name: "rot13_trigger", Weight: 1, Slots: []string{strings.Join(rot, "|")}},
		{Family: trigReverse, Name: "reversed_trigger", Weight: 1, Slots: []string{strings.Join(rev, "|")}},
	}
}
