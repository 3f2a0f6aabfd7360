package gateway

import "testing"

func TestArrayLiteralQuotesEveryElement(t *testing.T) {
	cases := map[string][]string{
		`{}`:                     nil,
		`{"a"}`:                  {"a"},
		`{"a b","c,d"}`:          {"a b", "c,d"},
		`{"say \"hi\"","x\\y"}`:  {`say "hi"`, `x\y`},
		`{"","NULL","{braces}"}`: {"", "NULL", "{braces}"},
	}
	for want, in := range cases {
		if got := arrayLiteral(in); got != want {
			t.Errorf("arrayLiteral(%q) = %s, want %s", in, got, want)
		}
	}
}
