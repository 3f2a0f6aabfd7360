package pii

import (
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func BenchmarkScratchParse(b *testing.B) {
	in := []string{"905-674-3793", "0490 75 40 81", "+46 (0)8 928 571 38", "(72) 754-186"}
	regs := []string{"US", "GB", "DE", "FR", "IN"}
	for i := 0; i < b.N; i++ {
		for _, s := range in {
			for _, r := range regs {
				n, err := phonenumbers.Parse(s, r)
				if err == nil {
					phonenumbers.IsValidNumber(n)
				}
			}
		}
	}
}
func BenchmarkScratchParseOnly(b *testing.B) {
	num := &phonenumbers.PhoneNumber{}
	for i := 0; i < b.N; i++ {
		phonenumbers.ParseToNumber("905-674-3793", "US", num)
	}
}
func BenchmarkScratchValidOnly(b *testing.B) {
	num := &phonenumbers.PhoneNumber{}
	phonenumbers.ParseToNumber("905-674-3793", "US", num)
	for i := 0; i < b.N; i++ {
		phonenumbers.IsValidNumber(num)
	}
}
