package pii

import (
	"bytes"
	"slices"
)

const numTypes = 21

var typeIdx = func() map[string]int {
	m := make(map[string]int, len(catalogue))
	for i, t := range catalogue {
		m[t.typ] = i
	}
	if len(m) != numTypes {
		panic("pii: numTypes does not match the catalogue")
	}
	return m
}()

func typeIndex(typ string) int {
	if i, ok := typeIdx[typ]; ok {
		return i
	}
	return -1
}

// contextWords are the lower-case words whose presence near a candidate raises its score by
// ContextBoost. Words of up to four bytes match whole words only; longer words match as word prefixes.
var contextWords = map[string][]string{
	TypeCreditCard: {
		"card", "cards", "credit", "debit", "visa", "mastercard", "master card", "amex", "american express",
		"discover", "diners", "jcb", "maestro", "unionpay", "cc", "cc#", "ccn", "pan", "cvv", "cvc",
		"expiry", "expiration", "payment", "charge", "billing",
		"karte", "kreditkarte", "carte", "tarjeta", "carta", "cartão", "kaart", "creditcard",
	},
	TypeIBAN: {
		"iban", "bank", "account", "acct", "transfer", "wire", "sepa", "swift", "bic",
		"konto", "kontonummer", "compte", "cuenta", "conto", "rekening", "bancaire", "bancaria",
	},
	TypeUSSSN: {
		"ssn", "ssns", "ssn#", "ss#", "social security", "social sec", "security number", "socialsecurity",
	},
	TypeUSITIN: {
		"itin", "itins", "taxpayer", "tax id", "tax identification", "tin",
	},
	TypeEmail: {
		"email", "e-mail", "mail", "mailto", "courriel", "correo", "posta", "contact",
	},
	TypePhone: {
		"phone", "telephone", "tel", "tel.", "mobile", "cell", "cellphone", "fax", "call", "calls", "calling",
		"contact", "reach", "text", "sms", "whatsapp", "dial", "ring", "landline", "desk", "office",
		"hotline", "extension", "ext",
		"telefon", "telefonnummer", "handy", "rufnummer", "anrufen", "téléphone", "portable", "appeler",
		"numéro", "teléfono", "móvil", "celular", "llamar", "número", "telefono", "cellulare", "chiamare",
		"telefone", "ligar", "telefoon", "mobiel", "bellen",
	},
	TypeIPAddress: {
		"ip", "ips", "ipv4", "ipv6", "address", "addr", "host", "server", "client", "gateway", "subnet", "adresse", "dirección",
	},
	TypeURL: {
		"url", "link", "website", "site", "web", "page", "homepage",
	},
	TypeCrypto: {
		"wallet", "bitcoin", "btc", "ethereum", "eth", "crypto", "address", "send", "usdt", "ether",
	},
	TypeAPIKey: {
		"key", "keys", "token", "tokens", "api", "secret", "bearer", "authorization", "credential", "credentials",
	},
	TypePrivateKey: {
		"key", "private",
	},
	TypeSecret: {
		"password", "passwd", "secret", "token", "credential", "credentials", "key", "passwort", "mot de passe", "contraseña",
	},
	TypeUSBankNumber: {
		"account", "acct", "acc", "bank", "banking", "checking", "savings", "deposit", "routing", "beneficiary",
	},
	TypeABARouting: {
		"routing", "aba", "rtn", "transit", "bank", "abartn",
	},
	TypeUKNHS: {
		"nhs", "national health", "health service", "patient", "nhs number",
	},
	TypeUSDriverLicense: {
		"driver", "driver's", "drivers", "driving", "license", "licence", "licenses", "dl", "dl#", "dln", "permit",
	},
	TypeDateTime: {
		"date", "dob", "born", "birth", "birthday", "when", "time", "datum", "fecha",
	},
}

// ctxWord is one context word with the set of types (bit i = catalogue index i) it supports.
type ctxWord struct {
	w     []byte
	types uint32
}

// ctxTable indexes the context words by their first byte (a–z) and the class of their second byte
// (a–z, or 26 for anything else), so that finding every context word in a text is one pass over its
// word starts with one or two short comparisons each.
var ctxTable = func() (tab [26][27][]ctxWord) {
	merged := map[string]uint32{}
	var order []string
	for typ, words := range contextWords {
		for _, w := range words {
			if _, ok := merged[w]; !ok {
				order = append(order, w)
			}
			merged[w] |= 1 << typeIndex(typ)
		}
	}
	slices.Sort(order)
	for _, w := range order {
		if len(w) < 2 || w[0] < 'a' || w[0] > 'z' {
			panic("pii: context word must start with a lower-case ASCII letter and have two bytes: " + w)
		}
		tab[w[0]-'a'][class2(w[1])] = append(tab[w[0]-'a'][class2(w[1])], ctxWord{[]byte(w), merged[w]})
	}
	return tab
}()

func class2(b byte) int {
	if 'a' <= b && b <= 'z' {
		return int(b - 'a')
	}
	return 26
}

// ctxHit is one occurrence of a context word in the text.
type ctxHit struct {
	start, end int
	types      uint32
}

// indexContext finds every context word in lower (once per Find). Words of up to four bytes must
// be whole words; longer ones must start a word.
func (s *scan) indexContext() {
	if s.ctxIndexed {
		return
	}
	s.ctxIndexed = true
	lower := s.lower()
	hits := s.ctxHits[:0]
	var all uint32
	for i := 0; i+1 < len(lower); i++ {
		b := lower[i]
		if b < 'a' || b > 'z' || (i > 0 && isWordByte(lower[i-1])) {
			continue
		}
		for _, cw := range ctxTable[b-'a'][class2(lower[i+1])] {
			n := len(cw.w)
			if !bytes.HasPrefix(lower[i:], cw.w) {
				continue
			}
			if n <= 4 && i+n < len(lower) && isWordByte(lower[i+n]) {
				continue
			}
			hits = append(hits, ctxHit{i, i + n, cw.types})
			all |= cw.types
		}
	}
	s.ctxHits, s.ctxAll = hits, all
}

// hasContext reports whether a context word of typ lies within [lo, hi), ignoring words that
// overlap the candidate [exStart, exEnd).
func (s *scan) hasContext(typ string, lo, hi, exStart, exEnd int) bool {
	ti := typeIndex(typ)
	if ti < 0 {
		return false
	}
	s.indexContext()
	bit := uint32(1) << ti
	if s.ctxAll&bit == 0 {
		return false
	}
	k, _ := slices.BinarySearchFunc(s.ctxHits, lo, func(h ctxHit, lo int) int { return h.start - lo })
	for ; k < len(s.ctxHits) && s.ctxHits[k].start < hi; k++ {
		h := s.ctxHits[k]
		if h.types&bit == 0 || h.end > hi || (h.start < exEnd && exStart < h.end) {
			continue
		}
		return true
	}
	return false
}

// contextSomewhere reports whether any context word of typ occurs anywhere in the text; recognizers
// whose candidates all need context use it to skip texts that cannot lift them.
func (s *scan) contextSomewhere(typ string) bool {
	ti := typeIndex(typ)
	if ti < 0 {
		return false
	}
	s.indexContext()
	return s.ctxAll&(1<<ti) != 0
}

func isWordByte(b byte) bool {
	return isAlnum(b) || b >= 0x80
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

func isAlpha(b byte) bool { return ('a' <= b && b <= 'z') || ('A' <= b && b <= 'Z') }

func isAlnum(b byte) bool { return isDigit(b) || isAlpha(b) }

func isHex(b byte) bool { return isDigit(b) || ('a' <= b && b <= 'f') || ('A' <= b && b <= 'F') }

func upper(b byte) byte {
	if 'a' <= b && b <= 'z' {
		return b - 32
	}
	return b
}

// numLeftOK reports whether a number may start at i: not glued to a word or to a preceding number.
func numLeftOK(t string, i int) bool {
	if i == 0 {
		return true
	}
	p := t[i-1]
	if isAlnum(p) || p == '_' {
		return false
	}
	if (p == '.' || p == ',' || p == '-' || p == '/' || p == ':') && i >= 2 && isDigit(t[i-2]) {
		return false
	}
	return true
}

// numRightOK reports whether a number may end at j (exclusive).
func numRightOK(t string, j int) bool {
	if j >= len(t) {
		return true
	}
	n := t[j]
	if isAlnum(n) || n == '_' {
		return false
	}
	if (n == '.' || n == ',' || n == '-' || n == '/' || n == ':') && j+1 < len(t) && isDigit(t[j+1]) {
		return false
	}
	return true
}
