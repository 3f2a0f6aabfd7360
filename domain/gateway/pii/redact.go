package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode/utf8"
)

// RedactMode selects how Redact replaces an entity.
type RedactMode uint8

const (
	// ModePlaceholder replaces an entity with its type: "[EMAIL_ADDRESS]".
	ModePlaceholder RedactMode = iota
	// ModeMask replaces every character with '*', keeping separators and, for cards and account
	// numbers (CREDIT_CARD, IBAN_CODE, US_BANK_NUMBER, US_SSN, US_ITIN), the last four digits or
	// letters: "4111 1111 1111 1111" becomes "**** **** **** 1111".
	ModeMask
	// ModeHash replaces an entity with its type and a keyed hash of its value: "[EMAIL_ADDRESS:3f9a0c…]".
	// The same value under the same key always gives the same placeholder, so a redacted
	// conversation keeps its references consistent (pseudonymisation) without revealing the value.
	ModeHash
)

// DefaultHashLen is the number of hex digits of the keyed hash in ModeHash placeholders.
const DefaultHashLen = 12

// RedactStyle is a redaction mode with its parameters.
type RedactStyle struct {
	Mode RedactMode
	// Key is the HMAC-SHA-256 key of ModeHash. Use a secret of at least 32 random bytes per tenant:
	// without the key the placeholders cannot be linked back to values by guessing.
	Key []byte
	// HashLen is the number of hex digits in ModeHash placeholders (DefaultHashLen when 0, at most 64).
	HashLen int
}

// Ready-made styles.
var (
	StylePlaceholder = RedactStyle{Mode: ModePlaceholder}
	StyleMask        = RedactStyle{Mode: ModeMask}
)

// StyleHash returns the keyed-hash style for key.
func StyleHash(key []byte) RedactStyle {
	return RedactStyle{Mode: ModeHash, Key: slices.Clone(key)}
}

// Redact returns text with the entities replaced according to style. Entities may come in any order
// and may overlap (for example from several detectors): overlapping entities are merged into one
// replaced span covering all of them, labelled by the highest-scoring (then longest) entity, so no
// byte of any entity survives. Offsets outside text are clamped, and spans are widened to whole UTF-8
// characters, so the result is valid UTF-8 whenever text is.
func Redact(text string, ents []Entity, style RedactStyle) string {
	if len(ents) == 0 {
		return text
	}
	spans := make([]Entity, 0, len(ents))
	for _, e := range ents {
		e.Start, e.End = max(0, e.Start), min(len(text), e.End)
		if e.Start >= e.End {
			continue
		}
		for e.Start > 0 && !utf8.RuneStart(text[e.Start]) {
			e.Start--
		}
		for e.End < len(text) && !utf8.RuneStart(text[e.End]) {
			e.End++
		}
		spans = append(spans, e)
	}
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b Entity) int { return a.Start - b.Start })

	var b strings.Builder
	b.Grow(len(text) + 16*len(spans))
	last := 0
	for i := 0; i < len(spans); {
		group := spans[i]
		rep := spans[i]
		j := i + 1
		for j < len(spans) && spans[j].Start < group.End {
			group.End = max(group.End, spans[j].End)
			if better(spans[j], rep) {
				rep = spans[j]
			}
			j++
		}
		b.WriteString(text[last:group.Start])
		writeReplacement(&b, text, group.Start, group.End, rep, style)
		last = group.End
		i = j
	}
	b.WriteString(text[last:])
	return b.String()
}

func better(a, b Entity) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.End-a.Start > b.End-b.Start
}

// keepLast4 lists the types whose masks keep the last four digits or letters.
var keepLast4 = map[string]bool{
	TypeCreditCard: true, TypeIBAN: true, TypeUSBankNumber: true, TypeUSSSN: true, TypeUSITIN: true,
}

func writeReplacement(b *strings.Builder, text string, start, end int, rep Entity, style RedactStyle) {
	typ := rep.Type
	if typ == "" {
		typ = "PII"
	}
	switch style.Mode {
	case ModeMask:
		v := text[start:end]
		keep := 0
		if keepLast4[typ] {
			alnum := 0
			for i := 0; i < len(v); i++ {
				if isAlnum(v[i]) {
					alnum++
				}
			}
			if alnum >= 8 { // never reveal half of a short value
				keep = 4
			}
		}
		// Walk backwards to find where the kept characters begin.
		keepFrom := len(v)
		for k := len(v) - 1; k >= 0 && keep > 0; k-- {
			if isAlnum(v[k]) {
				keep--
				keepFrom = k
			}
		}
		for i, r := range v {
			switch {
			case i >= keepFrom:
				b.WriteRune(r)
			case r == ' ' || r == '-' || r == '\n' || r == '\r' || r == '\t':
				b.WriteRune(r)
			default:
				b.WriteByte('*')
			}
		}
	case ModeHash:
		n := style.HashLen
		if n <= 0 {
			n = DefaultHashLen
		}
		n = min(n, 64)
		m := hmac.New(sha256.New, style.Key)
		m.Write([]byte(typ))
		m.Write([]byte{0})
		m.Write([]byte(normalizeForHash(typ, text[start:end])))
		sum := m.Sum(nil)
		b.WriteByte('[')
		b.WriteString(typ)
		b.WriteByte(':')
		b.WriteString(hex.EncodeToString(sum)[:n])
		b.WriteByte(']')
	default:
		b.WriteByte('[')
		b.WriteString(typ)
		b.WriteByte(']')
	}
}

// normalizeForHash makes differently formatted writings of one value hash alike: digits only for
// numeric identifiers, upper-case alphanumerics for IBANs, lower case for e-mail addresses and URLs.
func normalizeForHash(typ, v string) string {
	switch typ {
	case TypeCreditCard, TypeUSSSN, TypeUSITIN, TypeUSBankNumber, TypeABARouting, TypeUKNHS, TypePhone:
		var b strings.Builder
		if typ == TypePhone && strings.HasPrefix(v, "+") {
			b.WriteByte('+')
		}
		for i := 0; i < len(v); i++ {
			if isDigit(v[i]) {
				b.WriteByte(v[i])
			}
		}
		return b.String()
	case TypeIBAN:
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if isAlnum(v[i]) {
				b.WriteByte(upper(v[i]))
			}
		}
		return b.String()
	case TypeEmail, TypeURL:
		return strings.ToLower(v)
	}
	return v
}
