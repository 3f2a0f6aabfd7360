package platform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Text that no field of the product accepts: Postgres text cannot hold NUL,
// and encoding/json silently turns lone surrogates and invalid UTF-8 into
// U+FFFD, so a value that passed the decoder may differ from what the client
// sent. Such text is refused at the edge (VAL-007) instead of being committed
// to the ledger, where it would stall every projection that applies it.

// TextProblem describes the first invalid text of a JSON document.
type TextProblem struct {
	// Field is the JSON path of the value ("messages[0].content"); a key
	// that is itself invalid is reported by its parent's path.
	Field string
	// Reason says what is wrong, in client terms.
	Reason string
	// Duplicate marks a member name that appears twice in one object
	// (matched as encoding/json matches names: unescaped, case-folded), which
	// decoders resolve differently: a proxy that reads the first and a
	// handler that reads the last would disagree on what was sent.
	Duplicate bool
}

var escapeU = []byte(`\u`)

// CheckJSONText reports the first string of a JSON document that holds a
// NUL or another C0 control character (other than tab, line feed and
// carriage return), a \u escape of a lone UTF-16 surrogate, or bytes that
// are not valid UTF-8 (overlong forms and encoded surrogates included). A
// document without any of them costs one utf8.Valid pass and one search for
// `\u`: microseconds for a request body. Syntax errors are not its concern
// (the decoder reports them); it returns nil when it cannot find a value.
func CheckJSONText(raw []byte) *TextProblem {
	s := textScanner{b: raw, clean: utf8.Valid(raw) && !bytes.Contains(raw, escapeU) && !hasControl(raw)}
	s.value()
	return s.problem
}

// hasControl reports a raw C0 control byte other than whitespace (inside a
// string the decoder would refuse it anyway; outside one it is a syntax error).
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// CheckText reports why a text value (a query or path parameter) is not
// acceptable, or "" when it is.
func CheckText(v string) string {
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return controlReason(rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(v[i:])
		if r == utf8.RuneError && n <= 1 {
			return "is not valid UTF-8"
		}
		i += n
	}
	return ""
}

func controlReason(r rune) string {
	if r == 0 {
		return "contains a NUL character (\\u0000)"
	}
	return fmt.Sprintf("contains the control character \\u%04x", r)
}

// textScanner walks a JSON document keeping the path of the current value
// as a stack of segments (made into a string only for a problem).
type textScanner struct {
	b       []byte
	i       int
	path    []segment
	problem *TextProblem
	bad     bool // syntax error: stop quietly
	// clean says the document has no invalid text at all: only member names
	// are still checked (for duplicates), strings are skipped quickly.
	clean bool
}

// segment is one step of a path: an object key (raw) or an array index.
type segment struct {
	key   []byte
	index int
}

func (s *textScanner) fail(reason string) {
	if s.problem != nil {
		return
	}
	var b strings.Builder
	for _, seg := range s.path {
		if seg.key == nil {
			b.WriteString("[" + strconv.Itoa(seg.index) + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(seg.key)
	}
	field := truncate(b.String())
	if field == "" {
		field = "(body)"
	}
	s.problem = &TextProblem{Field: field, Reason: reason}
}

func (s *textScanner) stop() bool { return s.problem != nil || s.bad }

func (s *textScanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// maxDepth bounds recursion (encoding/json refuses deeper documents too).
const maxDepth = 10000

func (s *textScanner) value() { s.valueAt(0) }

func (s *textScanner) valueAt(depth int) {
	s.ws()
	if s.i >= len(s.b) || depth > maxDepth {
		s.bad = true
		return
	}
	switch s.b[s.i] {
	case '{':
		s.i++
		var names memberNames
		for !s.stop() {
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == '}' {
				s.i++
				return
			}
			if s.i >= len(s.b) || s.b[s.i] != '"' {
				s.bad = true
				return
			}
			key := s.str()
			if s.stop() {
				return
			}
			s.ws()
			if s.i >= len(s.b) || s.b[s.i] != ':' {
				s.bad = true
				return
			}
			s.i++
			if names.seen(key) {
				s.path = append(s.path, segment{key: key})
				s.fail("appears more than once in its object")
				s.problem.Duplicate = true
				return
			}
			if s.member(segment{key: key}, depth, '}') {
				return
			}
		}
	case '[':
		s.i++
		for n := 0; !s.stop(); n++ {
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == ']' {
				s.i++
				return
			}
			if s.member(segment{index: n}, depth, ']') {
				return
			}
		}
	case '"':
		s.str()
	default:
		// A number, true, false or null: skip to the next delimiter, but
		// bytes there are still checked (invalid UTF-8 outside strings).
		for s.i < len(s.b) {
			c := s.b[s.i]
			if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				return
			}
			if c < 0x20 || c >= utf8.RuneSelf {
				s.bad = true
				if !utf8.Valid(s.b[s.i:]) || c < 0x20 {
					s.fail("is not valid JSON text")
				}
				return
			}
			s.i++
		}
	}
}

// str scans a string literal at s.i (the opening quote) and returns its raw
// content (a key's name in paths; an invalid key is reported on its parent).
func (s *textScanner) str() []byte {
	s.i++
	start := s.i
	if s.clean {
		// Nothing in the document needs checking: find the closing quote.
		for s.i < len(s.b) {
			// Two vectorised searches: the next quote, and an escape before it.
			j := bytes.IndexByte(s.b[s.i:], '"')
			if j < 0 {
				break
			}
			if k := bytes.IndexByte(s.b[s.i:s.i+j], '\\'); k >= 0 {
				s.i += k + 2
				continue
			}
			s.i += j
			key := s.b[start:s.i:s.i]
			s.i++
			return key
		}
		s.bad = true
		return nil
	}
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			key := s.b[start:s.i:s.i]
			s.i++
			return key
		case c == '\\':
			if s.i+1 >= len(s.b) {
				s.bad = true
				return nil
			}
			if s.b[s.i+1] != 'u' {
				s.i += 2
				continue
			}
			r, ok := hex4(s.b, s.i+2)
			if !ok {
				s.bad = true
				return nil
			}
			s.i += 6
			switch {
			case r < 0x20 && r != '\t' && r != '\n' && r != '\r':
				s.fail(controlReason(r))
				return nil
			case r >= 0xD800 && r <= 0xDBFF:
				// A high surrogate must be followed by an escaped low one.
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					if lo, ok := hex4(s.b, s.i+2); ok && lo >= 0xDC00 && lo <= 0xDFFF {
						s.i += 6
						continue
					}
				}
				s.fail(fmt.Sprintf("contains a lone UTF-16 surrogate (\\u%04x)", r))
				return nil
			case r >= 0xDC00 && r <= 0xDFFF:
				s.fail(fmt.Sprintf("contains a lone UTF-16 surrogate (\\u%04x)", r))
				return nil
			}
		case c < 0x20:
			s.fail(controlReason(rune(c)))
			return nil
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && n <= 1 {
				s.fail("is not valid UTF-8 (invalid, overlong or surrogate byte sequence)")
				return nil
			}
			s.i += n
		}
	}
	s.bad = true
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// InvalidText is the VAL-007 problem for p.
func InvalidText(p *TextProblem) *Error {
	if p.Duplicate {
		return Problem("VAL-001", fmt.Sprintf("Field %q appears more than once in its object; send each field once.", p.Field)).
			WithFields(FieldError{Field: p.Field, Message: p.Reason})
	}
	return Problem("VAL-007", fmt.Sprintf("Field %q %s; text must be valid UTF-8 without NUL or control characters (tab, line feed and carriage return excepted).", p.Field, p.Reason)).
		WithFields(FieldError{Field: p.Field, Message: p.Reason})
}

// paramTextMiddleware refuses path and query parameters whose text no field
// accepts (NUL, other C0 controls, invalid UTF-8) with VAL-007, before a
// handler uses them as text.
func paramTextMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		names, values := c.ParamNames(), c.ParamValues()
		for i := 0; i < len(names) && i < len(values); i++ {
			if reason := CheckText(values[i]); reason != "" {
				return InvalidText(&TextProblem{Field: truncate(names[i]), Reason: reason})
			}
		}
		if c.Request().URL.RawQuery != "" {
			for name, vs := range c.QueryParams() {
				if reason := CheckText(name); reason != "" {
					return InvalidText(&TextProblem{Field: "(query parameter name)", Reason: reason})
				}
				for _, v := range vs {
					if reason := CheckText(v); reason != "" {
						return InvalidText(&TextProblem{Field: truncate(name), Reason: reason})
					}
				}
			}
		}
		return next(c)
	}
}

// member scans the value of an object member or array element at seg and the
// separator after it; it reports whether the container ended (closer) or the
// scan must stop.
func (s *textScanner) member(seg segment, depth int, closer byte) (end bool) {
	s.path = append(s.path, seg)
	s.valueAt(depth + 1)
	s.path = s.path[:len(s.path)-1]
	s.ws()
	if s.stop() || s.i >= len(s.b) {
		s.bad = s.bad || s.i >= len(s.b)
		return true
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return false
	case closer:
		s.i++
		return true
	}
	s.bad = true
	return true
}

// memberNames are the names seen in one object so far: a list while the
// object is small, a set past that, so that a hostile object of many members
// costs linear time.
type memberNames struct {
	list [][]byte
	set  map[string]struct{}
}

// seen records a raw member name and reports whether an equal one (after
// unescaping, case-folded as encoding/json matches struct fields) came before.
func (m *memberNames) seen(raw []byte) bool {
	name := raw
	if bytes.IndexByte(raw, '\\') >= 0 {
		var u string
		if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &u); err == nil {
			name = []byte(u)
		}
	}
	if m.set == nil && len(m.list) < 16 {
		for _, prev := range m.list {
			if bytes.EqualFold(prev, name) {
				return true
			}
		}
		m.list = append(m.list, name)
		return false
	}
	if m.set == nil {
		m.set = make(map[string]struct{}, 32)
		for _, prev := range m.list {
			m.set[string(bytes.ToLower(prev))] = struct{}{}
		}
	}
	k := string(bytes.ToLower(name))
	if _, dup := m.set[k]; dup {
		return true
	}
	m.set[k] = struct{}{}
	return false
}
