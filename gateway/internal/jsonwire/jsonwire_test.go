package jsonwire

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"
)

var textSeeds = []string{
	`{"a":[1,-0,0.5,1e-7,1E+300,-12.5e-3,true,false,null,"s\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800"],"b":{},"c":[]}`,
	" { \"a\" : [ 1 , 2 ] , \"b\" : \" spaced <&> \u2028 \u2029 \" } ",
	`"plain"`, `0`, `-1`, `true`, `null`, `[]`, `{}`, `[[[[]]]]`, `{"":""}`,
	"\"bad \xff utf8 \xe2\x80\"", "\"\xe2\x80\xa8\"",
	``, ` `, `{`, `[`, `"`, `"\`, `"\u12"`, `"\x"`, "\"\x1f\"", `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`, `tru`, `nul`, `[1,]`, `{"a":1,}`, `{"a"}`,
	`{"a" 1}`, `{1:1}`, `[1 2]`, `{"a":1}}`, `[1]]`, `{"a":[}`, `{"a":{]}`, strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
}

// SkipValue accepts exactly the texts encoding/json accepts.
func FuzzSkipValue_AcceptsWhatEncodingJSONAccepts(f *testing.F) {
	for _, s := range textSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		i := SkipSpace(data, 0)
		end, err := SkipValue(data, i)
		ok := err == nil && SkipSpace(data, end) == len(data)
		if want := json.Valid(data); ok != want {
			t.Fatalf("%q: valid %v, encoding/json %v (%v)", data, ok, want, err)
		}
	})
}

// Unquote reads a string as encoding/json does, and ScanString says when
// the bytes are the value as they stand.
func FuzzUnquote_ReadsAsEncodingJSON(f *testing.F) {
	for _, s := range textSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want string
		if len(data) == 0 || data[0] != '"' || json.Unmarshal(data, &want) != nil {
			return
		}
		end, kind, err := ScanString(data, 0)
		if err != nil || SkipSpace(data, end) != len(data) {
			t.Fatalf("%q: scan %d %v", data, end, err)
		}
		if got := Unquote(data[:end]); got != want {
			t.Fatalf("%q: unquoted %q, encoding/json %q", data, got, want)
		}
		if kind == Plain && string(data[1:end-1]) != want {
			t.Fatalf("%q: plain but encoding/json reads %q", data, want)
		}
	})
}

// AppendString writes a string as json.Marshal does.
func FuzzAppendString_WritesAsEncodingJSON(f *testing.F) {
	for _, s := range append(textSeeds, "<script>&amp;</script>", "\u2028\u2029", "\x00\x01\x7f\u00e9", "bad \xff \xed\xa0\x80") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Fatalf("%q: %s, encoding/json %s", s, got[1:], want)
		}
		if got := AppendString(nil, []byte(s)); !bytes.Equal(got, want) {
			t.Fatalf("%q as bytes: %s, encoding/json %s", s, got, want)
		}
	})
}

// AppendCompact re-emits a raw value as json.Marshal re-emits a json.RawMessage.
func FuzzAppendCompact_WritesAsEncodingJSON(f *testing.F) {
	for _, s := range textSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		want, werr := json.Marshal(json.RawMessage(raw))
		if len(raw) == 0 {
			return // a nil RawMessage is null, which callers write themselves
		}
		got, err := AppendCompact([]byte("x"), raw)
		if (err == nil) != (werr == nil) {
			t.Fatalf("%q: error %v, encoding/json %v", raw, err, werr)
		}
		if err == nil && string(got) != "x"+string(want) {
			t.Fatalf("%q: %s, encoding/json %s", raw, got[1:], want)
		}
	})
}

// AppendFloat writes a float64 as json.Marshal does.
func TestAppendFloat_WritesAsEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.7, 1e-6, 9.99e-7, 1e-7, 1e20, 1e21, 123456789.125, 1.5e300, -2.5e-300,
		math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-9, 5e-324} {
		want, _ := json.Marshal(f)
		got, err := AppendFloat(nil, f)
		if err != nil || string(got) != string(want) {
			t.Errorf("%v: %s (%v), encoding/json %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendFloat(nil, f); err == nil {
			t.Errorf("%v: no error", f)
		}
	}
}

// AppendFoldedName folds as encoding/json matches names: a struct field is
// found under a name exactly when the folded names are equal.
func FuzzAppendFoldedName_MatchesAsEncodingJSON(f *testing.F) {
	for _, s := range []string{"seed", "SEED", "ſeed", "Kelvin", "\u212aelvin", "top_p", "é", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			return
		}
		var v struct {
			Seed   int `json:"seed"`
			Kelvin int `json:"kelvin"`
		}
		key, _ := json.Marshal(name)
		if json.Unmarshal([]byte(`{`+string(key)+`:1}`), &v) != nil {
			return
		}
		folded := string(AppendFoldedName(nil, []byte(name)))
		if (v.Seed == 1) != (folded == "SEED") || (v.Kelvin == 1) != (folded == "KELVIN") {
			t.Fatalf("%q folds to %q; encoding/json matched seed %v, kelvin %v", name, folded, v.Seed == 1, v.Kelvin == 1)
		}
	})
}
