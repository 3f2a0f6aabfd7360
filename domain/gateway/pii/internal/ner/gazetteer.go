package ner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Gazetteer categories, one bit each.
const (
	GFirst       uint16 = 1 << iota // forename
	GLast                           // surname
	GCity                           // city (GeoNames, over 15,000 inhabitants)
	GRegion                         // region of a country (state, province, county)
	GCountry                        // country, in any of 48 languages
	GOrgSuffix                      // company legal form (Inc, GmbH, S.A., ООО …)
	GOrgWord                        // word frequent in organisation names (Bank, University, Group …)
	GStreet                         // street type (Street, Road, Rue, Strasse, Via …)
	GUnit                           // address unit (Apt, Suite, Unit, Box, Floor …)
	GTitle                          // title or honorific (Mr, Dr, Prof …)
	GCommonFirst                    // forename among the most given in some country (popular-names lists)
	GLower                          // word mostly written in lower case in running text (not a name)
	gPrefix                         // a proper prefix of a phrase of several tokens
)

// numCategories is the number of public categories (bits below gPrefix).
const numCategories = 12

// CategoryNames names the categories in bit order, as the gazetteer file spells them.
var CategoryNames = [numCategories]string{"first", "last", "city", "region", "country", "org_suffix", "org_word", "street", "unit", "title", "common_first", "lower"}

// Gazetteer maps lower-case words and phrases (tokens joined by single spaces) to categories.
type Gazetteer struct {
	entries map[uint64]uint16
	maxLen  int // longest phrase, in tokens
}

// ParseGazetteer reads a gazetteer file: gzip-compressed lines "category,category<TAB>phrase".
func ParseGazetteer(gz []byte) (*Gazetteer, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("ner: gazetteer: %w", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("ner: gazetteer: %w", err)
	}
	g := &Gazetteer{entries: make(map[uint64]uint16, bytes.Count(raw, []byte{'\n'})*5/4)}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	var toks []Token
	for sc.Scan() {
		cats, phrase, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		var bits uint16
		for _, c := range strings.Split(cats, ",") {
			k := indexOf(CategoryNames[:], c)
			if k < 0 {
				return nil, fmt.Errorf("ner: gazetteer: unknown category %q", c)
			}
			bits |= 1 << k
		}
		g.Add(phrase, bits, &toks)
	}
	return g, sc.Err()
}

// Add records a phrase (any case) with categories.
func (g *Gazetteer) Add(phrase string, bits uint16, scratch *[]Token) {
	if g.entries == nil {
		g.entries = map[uint64]uint16{}
	}
	*scratch = Tokenize(phrase, *scratch)
	toks := *scratch
	if len(toks) == 0 || len(toks) > 6 {
		return
	}
	h := uint64(phraseSeed)
	var buf []byte
	for i, t := range toks {
		buf = appendLower(buf[:0], phrase[t.Start:t.End])
		h = phraseStep(h, buf)
		if i < len(toks)-1 {
			g.entries[h] |= gPrefix
		}
	}
	g.entries[h] |= bits
	g.maxLen = max(g.maxLen, len(toks))
}

// Len is the number of words, phrases and phrase prefixes held.
func (g *Gazetteer) Len() int { return len(g.entries) }

const phraseSeed = 14695981039346656037

// phraseStep extends the hash of a phrase by one lower-case token.
func phraseStep(h uint64, lower []byte) uint64 {
	h ^= 0x1f // token separator
	h *= 1099511628211
	for _, b := range lower {
		h ^= uint64(b)
		h *= 1099511628211
	}
	return h
}

// Word returns the categories of one lower-case token.
func (g *Gazetteer) Word(lower []byte) uint16 {
	return g.entries[phraseStep(phraseSeed, lower)] &^ gPrefix
}

// matchPhrases marks, for every token, the categories of the phrases of two or more tokens that
// cover it: begin[i] for phrases starting at token i, inside[i] for tokens inside one.
func (g *Gazetteer) matchPhrases(lowers [][]byte, begin, inside []uint16) {
	for i := range lowers {
		h := phraseStep(phraseSeed, lowers[i])
		if g.entries[h]&gPrefix == 0 {
			continue
		}
		for k := i + 1; k < len(lowers) && k-i < g.maxLen; k++ {
			h = phraseStep(h, lowers[k])
			e, ok := g.entries[h]
			if !ok {
				break
			}
			if cats := e &^ gPrefix; cats != 0 {
				begin[i] |= cats
				for j := i + 1; j <= k; j++ {
					inside[j] |= cats
				}
			}
			if e&gPrefix == 0 {
				break
			}
		}
	}
}

// appendLower appends the lower case of s, rune by rune (a rune whose lower case has another UTF-8
// length is kept as it is, so that offsets stay aligned).
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 32
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if l := unicode.ToLower(r); utf8.RuneLen(l) == n {
			dst = utf8.AppendRune(dst, l)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

// FormatCategories spells a set of categories as the gazetteer file does.
func FormatCategories(bits uint16) string {
	var parts []string
	for k := range numCategories {
		if bits&(1<<k) != 0 {
			parts = append(parts, CategoryNames[k])
		}
	}
	return strings.Join(parts, ",")
}
