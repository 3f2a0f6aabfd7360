package pii

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/nyaruka/phonenumbers"
)

func TestScratchPhones(t *testing.T) {
	b, _ := os.ReadFile("/work/shared/data/pii/presidio_research_synth_dataset_v2.json")
	var d []struct {
		FullText string `json:"full_text"`
		Spans    []struct {
			T string `json:"entity_type"`
			V string `json:"entity_value"`
		} `json:"spans"`
	}
	json.Unmarshal(b, &d)
	all := phonenumbers.GetSupportedRegions()
	var regs []string
	for r := range all {
		regs = append(regs, r)
	}
	sort.Strings(regs)
	def := []string{"US", "GB", "DE", "FR", "IN", "CA", "AU", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "PL", "PT", "IE", "BR", "MX"}
	nDef, nAll, nPoss := 0, 0, 0
	start := time.Now()
	calls := 0
	for _, x := range d {
		for _, s := range x.Spans {
			if s.T != "PHONE_NUMBER" {
				continue
			}
			okDef, okAll := "", []string{}
			for _, r := range def {
				n, err := phonenumbers.Parse(s.V, r)
				calls++
				if err == nil && phonenumbers.IsValidNumber(n) {
					okDef = r
					break
				}
			}
			poss := false
			for _, r := range regs {
				n, err := phonenumbers.Parse(s.V, r)
				calls++
				if err == nil && phonenumbers.IsValidNumber(n) {
					okAll = append(okAll, r)
				}
				if err == nil && phonenumbers.IsPossibleNumber(n) {
					poss = true
				}
			}
			if okDef != "" {
				nDef++
			}
			if len(okAll) > 0 {
				nAll++
			}
			if poss {
				nPoss++
			}
			if okDef == "" {
				fmt.Printf("%q def=%q all=%v poss=%v\n", s.V, okDef, okAll, poss)
			}
		}
	}
	el := time.Since(start)
	fmt.Println(nDef, nAll, nPoss, calls, el, el/time.Duration(calls))
}
