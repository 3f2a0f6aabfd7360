package ner

import (
	"unicode"
	"unicode/utf8"
)

// Token is one word or punctuation mark of a text, by byte offsets.
type Token struct {
	Start, End int32
	// LineStart is true for the first token of a line (or of the text).
	LineStart bool
}

// Tokenize splits text into words (letters, digits and combining marks, joined by inner hyphens and
// by apostrophes that are not English clitics such as 's or n't) and single punctuation marks.
// White space separates tokens and is not one.
func Tokenize(text string, out []Token) []Token {
	out = out[:0]
	line := true
	for i := 0; i < len(text); {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		switch {
		case r == '\n' || r == '\r':
			line = true
			i += n
			continue
		case isSpace(r):
			i += n
			continue
		case !isWordRune(r):
			out = append(out, Token{Start: int32(i), End: int32(i + n), LineStart: line})
			line = false
			i += n
			continue
		}
		j := i + n
		for j < len(text) {
			c, m := rune(text[j]), 1
			if c >= utf8.RuneSelf {
				c, m = utf8.DecodeRuneInString(text[j:])
			}
			if isWordRune(c) {
				j += m
				continue
			}
			if (c == '-' || c == '\'' || c == '’') && j+m < len(text) {
				next, k := utf8.DecodeRuneInString(text[j+m:])
				if isWordRune(next) && (c == '-' || !clitic(text[j+m:])) {
					j += m + k
					continue
				}
			}
			break
		}
		out = append(out, Token{Start: int32(i), End: int32(j), LineStart: line})
		line = false
		i = j
	}
	return out
}

// clitic reports whether s (what follows an apostrophe) starts with an English clitic that ends the word.
func clitic(s string) bool {
	for _, c := range []string{"s", "t", "re", "ve", "ll", "d", "m"} {
		if len(s) >= len(c) && (s[:len(c)] == c || s[:len(c)] == upperASCII(c)) {
			if len(s) == len(c) {
				return true
			}
			r, _ := utf8.DecodeRuneInString(s[len(c):])
			if !isWordRune(r) {
				return true
			}
		}
	}
	return false
}

func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9')
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

func isSpace(r rune) bool {
	if r < utf8.RuneSelf {
		return r == ' ' || r == '\t' || r == '\v' || r == '\f'
	}
	return unicode.IsSpace(r)
}
