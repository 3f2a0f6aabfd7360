package pii

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestScratchPatho(t *testing.T) {
	units := []string{
		"1.1.1.1 ", "a@b.co ", "@", ":", "::", "https://a.b/(", "http://x", "www.", "eyJ", "eyJhbGciOiJIUzI1NiJ9.",
		"-----BEGIN RSA PRIVATE KEY-----", "4111111111111111 ", "+1 650-253-0000 ", "password=abc123XYZ! ",
		"9", "1 ", "(1)", "0x", "sk-", "AKIA", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa ", "DE89", "March ", "in 1977 ",
		"phone ", "ssn 536221234 ", "1-", "12/12/2012 ",
	}
	for _, u := range units {
		for _, n := range []int{2 << 10, 8 << 10} {
			text := strings.Repeat(u, n/len(u)+1)
			start := time.Now()
			allDetector.Find(text)
			fmt.Printf("%-40q %6d %v\n", u, n, time.Since(start))
		}
	}
}
