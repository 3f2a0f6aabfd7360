package oscal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseOSCAL feeds arbitrary bytes to the parser: it must never panic, an
// accepted document must be a valid framework, and a refused one must come
// with an *Error and nothing else.
func FuzzParseOSCAL(f *testing.F) {
	for _, seed := range []string{
		minimalJSON("1.1.2", tinyControls),
		tinyXML,
		minimalJSON("1.1.2", tinyControls)[:120],
		tinyXML[:200],
		`{"profile":{}}`,
		`<!DOCTYPE x [<!ENTITY a "b">]><catalog/>`,
		`[[[[[[[[[[]]]]]]]]]]`,
		`{"catalog":{"metadata":{"title":"t","oscal-version":"1.1.2"},"controls":[{"id":"a","title":"A","controls":[{"id":"a","title":"dup"}]}]}}`,
		"",
	} {
		f.Add([]byte(seed))
	}
	lim := Limits{MaxBytes: 1 << 20, MaxDepth: 64, MaxTokens: 100_000, MaxRequirements: 10_000}
	f.Fuzz(func(t *testing.T, data []byte) {
		fw, err := Parse(bytes.NewReader(data), lim)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%T %v is not an *oscal.Error", err, err)
			}
			if fw.ID != "" || fw.Requirements != nil {
				t.Fatal("a refused document returned a framework")
			}
			return
		}
		if verr := fw.Validate(); verr != nil {
			t.Fatalf("accepted an invalid framework: %v", verr)
		}
	})
}
