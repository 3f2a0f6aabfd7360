// Package jsonwire is the lexical layer of the gateway's hand-written JSON
// codec: a strict scanner over a JSON text and the encoding of strings,
// floats and raw values, each byte-for-byte what encoding/json does.
//
// The request and response model (package providers) keeps unknown members
// as raw JSON and passes them on; decoding and encoding it through
// encoding/json's reflection, once per nesting level, was most of the
// gateway's added latency. The codec walks the text once instead. Being
// exactly encoding/json's behaviour (which text is valid, how a string is
// unescaped, how a float or a string is written) is what lets it replace the
// reflective path without a client noticing; the tests compare the two.
package jsonwire

import (
	"errors"
	"math"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrSyntax reports a text that is not valid JSON. It carries no position:
// callers that answer a client re-run encoding/json for its exact message.
var ErrSyntax = errors.New("jsonwire: invalid JSON")

// maxDepth is encoding/json's bound on nesting.
const maxDepth = 10000

// IsSpace reports JSON insignificant white space.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first byte at or after i that is not white space.
func SkipSpace(data []byte, i int) int {
	for i < len(data) && IsSpace(data[i]) {
		i++
	}
	return i
}

// String kinds ScanString reports.
const (
	// Plain: the bytes between the quotes are the value (no escapes, valid UTF-8).
	Plain = iota
	// Escaped: the value needs Unquote.
	Escaped
)

// ScanString scans the string starting at data[i] == '"' and returns the
// index after its closing quote and whether the bytes between the quotes
// are the value as they stand.
func ScanString(data []byte, i int) (end int, kind int, err error) {
	kind = Plain
	high := false
	j := i + 1
	for {
		for j < len(data) && plain[data[j]] {
			j++
		}
		if j >= len(data) {
			return 0, 0, ErrSyntax
		}
		switch c := data[j]; {
		case c == '"':
			if high && kind == Plain && !utf8.Valid(data[i+1:j]) {
				kind = Escaped
			}
			return j + 1, kind, nil
		case c == '\\':
			kind = Escaped
			j++
			if j >= len(data) {
				return 0, 0, ErrSyntax
			}
			switch data[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j++
			case 'u':
				if j+4 >= len(data) || !isHex(data[j+1]) || !isHex(data[j+2]) || !isHex(data[j+3]) || !isHex(data[j+4]) {
					return 0, 0, ErrSyntax
				}
				j += 5
			default:
				return 0, 0, ErrSyntax
			}
		case c < 0x20:
			return 0, 0, ErrSyntax
		default: // c >= utf8.RuneSelf
			high = true
			j++
		}
	}
}

// plain marks the bytes a string scan passes over without a second look:
// printable ASCII but '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// ScanNumber scans the number starting at data[i] and returns the index after it.
func ScanNumber(data []byte, i int) (int, error) {
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	switch {
	case j < len(data) && data[j] == '0':
		j++
	case j < len(data) && '1' <= data[j] && data[j] <= '9':
		for j++; j < len(data) && isDigit(data[j]); j++ {
		}
	default:
		return 0, ErrSyntax
	}
	if j < len(data) && data[j] == '.' {
		j++
		if j >= len(data) || !isDigit(data[j]) {
			return 0, ErrSyntax
		}
		for j++; j < len(data) && isDigit(data[j]); j++ {
		}
	}
	if j < len(data) && (data[j] == 'e' || data[j] == 'E') {
		j++
		if j < len(data) && (data[j] == '+' || data[j] == '-') {
			j++
		}
		if j >= len(data) || !isDigit(data[j]) {
			return 0, ErrSyntax
		}
		for j++; j < len(data) && isDigit(data[j]); j++ {
		}
	}
	return j, nil
}

// ScanLiteral scans true, false or null starting at data[i].
func ScanLiteral(data []byte, i int) (int, error) {
	var lit string
	switch data[i] {
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	case 'n':
		lit = "null"
	default:
		return 0, ErrSyntax
	}
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, ErrSyntax
	}
	return i + len(lit), nil
}

// SkipValue scans the value starting at data[i] (no leading white space)
// and returns the index after it. Every byte is checked.
func SkipValue(data []byte, i int) (int, error) {
	if i >= len(data) {
		return 0, ErrSyntax
	}
	switch c := data[i]; {
	case c == '"':
		end, _, err := ScanString(data, i)
		return end, err
	case c == '{' || c == '[':
		return skipContainer(data, i)
	case c == '-' || isDigit(c):
		return ScanNumber(data, i)
	default:
		return ScanLiteral(data, i)
	}
}

// skipContainer scans an object or array without recursion: open holds
// whether each enclosing container is an object.
func skipContainer(data []byte, i int) (int, error) {
	var stack [64]bool
	open := stack[:0]
	var err error
	for {
		// At the start of a value.
		switch c := data[i]; {
		case c == '{' || c == '[':
			if len(open) >= maxDepth {
				return 0, ErrSyntax
			}
			open = append(open, c == '{')
			i = SkipSpace(data, i+1)
			if i >= len(data) {
				return 0, ErrSyntax
			}
			if data[i] == '}' && c == '{' || data[i] == ']' && c == '[' {
				i++
				open = open[:len(open)-1]
				break
			}
			if c == '{' {
				if i, err = objectKey(data, i); err != nil {
					return 0, err
				}
			}
			continue
		case c == '"':
			i, _, err = ScanString(data, i)
		case c == '-' || isDigit(c):
			i, err = ScanNumber(data, i)
		default:
			i, err = ScanLiteral(data, i)
		}
		if err != nil {
			return 0, err
		}
		// After a value: close containers or move to the next value.
		for {
			if len(open) == 0 {
				return i, nil
			}
			i = SkipSpace(data, i)
			if i >= len(data) {
				return 0, ErrSyntax
			}
			obj := open[len(open)-1]
			if data[i] == '}' && obj || data[i] == ']' && !obj {
				i++
				open = open[:len(open)-1]
				continue
			}
			if data[i] != ',' {
				return 0, ErrSyntax
			}
			i = SkipSpace(data, i+1)
			if obj {
				if i, err = objectKey(data, i); err != nil {
					return 0, err
				}
			}
			if i >= len(data) {
				return 0, ErrSyntax
			}
			break
		}
	}
}

// objectKey scans `"name" :` and the white space after it, returning the
// index of the member's value.
func objectKey(data []byte, i int) (int, error) {
	if i >= len(data) || data[i] != '"' {
		return 0, ErrSyntax
	}
	i, _, err := ScanString(data, i)
	if err != nil {
		return 0, err
	}
	i = SkipSpace(data, i)
	if i >= len(data) || data[i] != ':' {
		return 0, ErrSyntax
	}
	i = SkipSpace(data, i+1)
	if i >= len(data) {
		return 0, ErrSyntax
	}
	return i, nil
}

// Unquote returns the value of a valid string token (quotes included), as
// encoding/json decodes it: invalid UTF-8 and unpaired surrogates become
// U+FFFD.
func Unquote(tok []byte) string {
	s := tok[1 : len(tok)-1]
	b := make([]byte, 0, len(s)+utf8.UTFMax)
	for r := 0; r < len(s); {
		switch c := s[r]; {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := getu4(s[r-1:])
				r += 5
				if utf16.IsSurrogate(rr) {
					if rr1 := getu4(s[r:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // '"', '\\', '/'
				b = append(b, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return string(b)
}

// getu4 decodes \uXXXX from the beginning of s, returning -1 if it is not there.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

const hex = "0123456789abcdef"

// safe marks the ASCII bytes a string holds unescaped (encoding/json's
// htmlSafeSet: not a control character, '"', '\\', '<', '>' or '&').
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// AppendString appends s quoted as encoding/json writes it (HTML-safe:
// <, > and & escaped, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD).
func AppendString[S []byte | string](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '\\', '"':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		n := min(len(s)-i, utf8.UTFMax)
		c, size := utf8.DecodeRuneInString(string(s[i : i+n]))
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ErrUnsupportedFloat reports NaN or an infinity, which JSON cannot hold.
var ErrUnsupportedFloat = errors.New("jsonwire: unsupported value: NaN or infinity")

// AppendFloat appends f as encoding/json writes a float64 (like ES6: no
// exponent between 1e-6 and 1e21).
func AppendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, ErrUnsupportedFloat
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// AppendCompact appends the JSON value raw (white space around it allowed)
// as encoding/json re-emits a marshaler's output: white space outside
// strings dropped, <, >, & and U+2028/U+2029 escaped, everything else
// byte for byte. raw must be exactly one valid value.
func AppendCompact(dst, raw []byte) ([]byte, error) {
	i := SkipSpace(raw, 0)
	end, err := SkipValue(raw, i)
	if err != nil || SkipSpace(raw, end) != len(raw) {
		return dst, ErrSyntax
	}
	raw = raw[i:end]
	if compactSafe(raw) {
		return append(dst, raw...), nil
	}
	start := 0
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case !inString && IsSpace(c):
			dst = append(dst, raw[start:i]...)
			start = i + 1
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[raw[i+2]&0xF])
			i += 2
			start = i + 1
		}
	}
	return append(dst, raw[start:]...), nil
}

// compactSafe reports a valid value that AppendCompact copies unchanged: no
// white space, no <, > or &, no U+2028/U+2029 (the check is coarse: any
// space or 0xE2 byte sends it down the careful path).
func compactSafe(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xE2:
			return false
		}
	}
	return true
}

// AppendFoldedName appends name folded as encoding/json folds a member name
// to match a field case-insensitively (ASCII upper case; other runes to the
// smallest rune of their case-folding orbit).
func AppendFoldedName(dst, name []byte) []byte {
	for i := 0; i < len(name); {
		if c := name[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(name[i:])
		dst = utf8.AppendRune(dst, foldRune(r))
		i += n
	}
	return dst
}

func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}
