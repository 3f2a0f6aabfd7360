package pii

import "bytes"

const numTypes = 17

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

// contextBytes holds contextWords by type index, as byte slices.
var contextBytes = func() (out [numTypes][][]byte) {
	for typ, words := range contextWords {
		for _, w := range words {
			out[typeIndex(typ)] = append(out[typeIndex(typ)], []byte(w))
		}
	}
	return out
}()

// hasContext reports whether a context word of typ occurs in lower[lo:hi], ignoring occurrences that
// overlap the candidate [exStart, exEnd).
func hasContext(lower []byte, typ string, lo, hi, exStart, exEnd int) bool {
	ti := typeIndex(typ)
	if ti < 0 {
		return false
	}
	win := lower[lo:hi]
	for _, w := range contextBytes[ti] {
		off := 0
		for off < len(win) {
			i := bytes.Index(win[off:], w)
			if i < 0 {
				break
			}
			i += off
			off = i + 1
			abs := lo + i
			if abs < exEnd && exStart < abs+len(w) {
				continue
			}
			if abs > 0 && isWordByte(lower[abs-1]) {
				continue
			}
			if len(w) <= 4 && abs+len(w) < len(lower) && isWordByte(lower[abs+len(w)]) {
				continue
			}
			return true
		}
	}
	return false
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
