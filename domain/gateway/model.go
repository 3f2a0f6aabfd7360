package gateway

import (
	"errors"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// ErrInvalidModel reports a model id that cannot name a model: empty once
// normalised, too long, or holding control characters or characters outside
// printable ASCII after normalisation (homoglyphs of another model's name).
var ErrInvalidModel = errors.New("gateway: invalid model id")

var folder = cases.Fold()

// NormaliseModel is the one spelling of a model id that kill switches,
// allow-lists and provider model lists are matched on: format characters
// (zero-width space and joiners, BOM, soft hyphen, variation selectors) are
// removed, the rest is NFKC-normalised (full-width letters become ASCII),
// case-folded and trimmed, and a trailing ":latest" tag (the default tag) is
// dropped. "MOCK-2", "mock-2\t", "mo\u200bck-2", "ｍｏｃｋ-2" and "mock-2:latest"
// are all "mock-2". A control character inside the id, or anything but
// printable ASCII left after normalisation, is ErrInvalidModel.
func NormaliseModel(model string) (string, error) {
	if len(model) > 1000 {
		return "", ErrInvalidModel
	}
	ascii := true
	for i := 0; i < len(model); i++ {
		if b := model[i]; b < 0x21 || b > 0x7e {
			ascii = false
			break
		}
	}
	var s string
	if ascii {
		s = strings.ToLower(model) // the common case, without allocating twice
	} else {
		s = strings.Map(func(r rune) rune {
			if unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) {
				return -1
			}
			return r
		}, model)
		s = norm.NFKC.String(folder.String(norm.NFKC.String(s)))
		s = strings.TrimFunc(s, unicode.IsSpace)
	}
	for {
		t := strings.TrimSuffix(s, ":latest")
		t = strings.TrimFunc(t, unicode.IsSpace)
		if t == s {
			break
		}
		s = t
	}
	if s == "" || len(s) > 200 {
		return "", ErrInvalidModel
	}
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < 0x20 || b > 0x7e {
			return "", ErrInvalidModel
		}
	}
	return s, nil
}

// ModelIn reports whether a normalised model is in a list of model ids or
// patterns ("*", "prefix*"), each normalised the same way.
func ModelIn(list []string, model string) bool {
	for _, x := range list {
		if x == "*" {
			return true
		}
		prefix, wild := strings.CutSuffix(x, "*")
		if wild {
			if p, err := NormaliseModel(prefix); err == nil && strings.HasPrefix(model, p) {
				return true
			}
			continue
		}
		if n, err := NormaliseModel(x); err == nil && n == model {
			return true
		}
	}
	return false
}
