package engine

import (
	"strings"
	"unicode/utf8"
)

// Readings of an obfuscated text that the per-token folding misses: a whole
// text in ROT13 (detected by its words, not only when it names the cipher),
// leetspeak in short words ("4n 41 w17h n0 p0l1cy"), and look-alike letters
// everywhere, also inside encodings and spaced-out letters. Each reading is
// analysed as decoded text: the content is judged, the encoding itself is not
// evidence.

// commonWords are frequent English words and attack vocabulary: a text whose
// ROT13 reading has many more of them than the text itself is ROT13.
var commonWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields("the a an and or to of in on is are be you your yours i me my we it this that for with as not no all any " +
		"do does what how from now new please tell give show print say write reveal ignore previous prior above instructions instruction " +
		"rules system prompt password secret forget disregard act pretend mode developer without restrictions answer question must will can " +
		"have has was were he she they them his her their there here which who when where why if then than so but by at about up out " +
		"would could should may might been being one two first other more most some such only also just very into over after before " +
		"our us its these those get make know see use like time way day people work need want thank thanks dear hi hello regards " +
		"send email account access admin grant full user data file files message subject from to document text following output " +
		// German, French, Spanish, Italian, Portuguese, Dutch function words
		"der die das und ist nicht sie ich du ein eine zu mit den dem von auf fur alle alles bitte oder wie was " +
		"le la les et est vous pas de des que qui une un je tu il dans pour sur au aux ce cette tout toutes " +
		"el los las y es en no por para con su lo del al todo todas una yo " +
		"il di che non sono per con gli una tutto tutte questo " +
		"o os e do da em um uma nao voce " +
		"het een en van ik je niet dat op te zijn") {
		commonWords[w] = true
	}
}

// looksRot13 reports whether the Latin words of toks read as English after
// ROT13 while they do not before.
func looksRot13(toks []token) bool {
	words, plain, rot := 0, 0, 0
	var buf [32]byte
	for i := range toks {
		t := &toks[i]
		if t.kind != kindWord || len(t.s) > len(buf) || !isASCII(t.s) {
			continue
		}
		words++
		if commonWords[t.s] {
			plain++
		}
		b := buf[:len(t.s)]
		for j := 0; j < len(t.s); j++ {
			c := t.s[j]
			if isAlpha(c) {
				c = 'a' + (c-'a'+13)%26
			}
			b[j] = c
		}
		if commonWords[string(b)] {
			rot++
		}
	}
	return words >= 3 && rot >= 2 && rot >= 2*plain+1 && 5*rot >= words
}

// leetReading de-leets every word that mixes letters with digits or
// symbols used as letters (and short digit groups next to such words); ""
// when the text has too few of them to be leetspeak.
func leetReading(ns string, toks []token) string {
	mixed, words := 0, 0
	for i := range toks {
		t := &toks[i]
		if t.kind != kindWord {
			continue
		}
		words++
		if hasLeet(t.s) && hasLetter(t.s) {
			mixed++
		}
	}
	if mixed < 2 || 5*mixed < words {
		return ""
	}
	b := []byte(ns)
	for i := 0; i < len(b); i++ {
		if leet(b[i], false) == b[i] {
			continue
		}
		// a leet character inside or next to a word of letters and leet
		// characters, or in a short group of them (up to 3)
		j := i
		for j > 0 && isLeetWordByte(b[j-1]) {
			j--
		}
		k := i
		for k < len(b) && isLeetWordByte(b[k]) {
			k++
		}
		if hasLetter(string(b[j:k])) || k-j <= 3 {
			for m := j; m < k; m++ {
				b[m] = leet(b[m], false)
			}
		}
		i = k
	}
	return string(b)
}

func isLeetWordByte(c byte) bool { return isAlpha(c) || leet(c, false) != c }

func hasLeet(s string) bool {
	for i := 0; i < len(s); i++ {
		if leet(s[i], false) != s[i] {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isAlpha(s[i]) {
			return true
		}
	}
	return false
}

// skeletonReading maps every look-alike letter to its Latin letter when the
// text mixes them with Latin letters; "" otherwise.
func skeletonReading(ns string) string {
	latin, look := 0, 0
	for _, r := range ns {
		if r < 0x80 {
			if isAlpha(byte(r)) {
				latin++
			}
		} else if _, ok := confusable[r]; ok {
			look++
		}
	}
	if look == 0 || latin == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(len(ns))
	for i := 0; i < len(ns); {
		r, n := utf8.DecodeRuneInString(ns[i:])
		if c, ok := confusable[r]; ok {
			b.WriteByte(c)
		} else {
			b.WriteString(ns[i : i+n])
		}
		i += n
	}
	return b.String()
}
