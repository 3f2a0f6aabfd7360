package pii

import (
	"fmt"
	"testing"
)

func TestScratchMeta(t *testing.T) {
	loadPhoneMeta()
	for _, r := range DefaultPhoneRegions {
		m := phoneMeta[r]
		fmt.Printf("%s cc=%d np=%q npfp=%q tr=%q lz=%v len=%v\n", r, m.GetCountryCode(), m.GetNationalPrefix(), m.GetNationalPrefixForParsing(), m.GetNationalPrefixTransformRule(), m.GetLeadingZeroPossible(), m.GetGeneralDesc().GetPossibleLength())
	}
}
