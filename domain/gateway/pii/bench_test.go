package pii

import (
	"slices"
	"strings"
	"testing"
	"time"
)

const benchShort = "Hi, I'm Dana. Please update my e-mail to dana.k@example.org and call me on +44 20 7946 0958 tomorrow."

// benchTypical is a 1–2 KB prompt of the kind the gateway sees: prose, numbers that are not personal
// data (amounts, order numbers, dates, versions) and a few entities.
var benchTypical = strings.TrimSpace(`
You are a helpful support assistant for Northwind Outfitters. Summarise the customer's message below in
three bullet points, classify its urgency (low, medium, high) and draft a short, friendly reply. Do not
promise refunds above $250.00 without a supervisor, and never repeat payment details back to the customer.

Customer message (ticket #48213, received 2024-03-18 09:42, channel: web form, app version 5.12.3):

"Hello team, I ordered the Alpine 45L backpack (order 7734-2210) on March 2 and it arrived with a broken
zipper. I already sent photos to your returns address twice but nobody answered. My account e-mail is
jordan.miles@example.com and you can reach me at (415) 555-0132 after 6pm, or on my work line 415-555-0188
ext. 42. I paid with my Visa 4111 1111 1111 1111 and I'd like the 129.99 refunded to the same card rather
than store credit. I have been a customer since 2019 and bought 14 items in total, so I'm disappointed.
Could you also check why my loyalty points (3,420 points) did not show up after the purchase? The tracking
number was 1Z999AA10123456784 if that helps. Thanks, Jordan"

Internal notes: previous ticket #47190 closed on 2024-01-05; warehouse batch 2024-W09; SKU ALP-45-GRN.
Respond in English, keep the reply under 120 words, and sign it as "Northwind Support".`)

// benchNames is a prompt full of names, places, organisations and addresses.
var benchNames = strings.TrimSpace(`
Please draft a reference letter for Maria Fernández, who worked with Dr. Jonas Lindqvist at Northwind
Analytics GmbH in Stuttgart from 2019 to 2023. Her manager, Mr. Samuel Okafor, can be reached at the
office at 221 Baker Street, London, and she now lives at 14 Rue de Rivoli, Paris. Maria Fernández led the
migration for Contoso Ltd. and presented the results in Berlin and Madrid. Address the letter to
Ms. Aiko Tanaka, Head of Talent at Globex Corporation, 500 Market Street, San Francisco.`)

// bench16K is about 16 KB of mixed content: prose, a log excerpt, code with credentials and a table.
var bench16K = func() string {
	parts := []string{
		benchTypical,
		`2024-03-18T09:42:11Z INFO request id=9f1c2e7a path=/api/v1/orders status=200 duration_ms=41 client=203.0.113.54
2024-03-18T09:42:12Z WARN retry attempt=2 upstream=10.20.30.40:8443 latency_ms=812
2024-03-18T09:42:13Z ERROR auth failed user=jordan.miles@example.com ip=2001:db8:85a3::8a2e:370:7334`,
		"```python\nimport boto3\nclient = boto3.client('s3', aws_access_key_id='AKIAIOSFODNN7EXAMPLE',\n    aws_secret_access_key='wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')\nDB_PASSWORD = \"s3cr3t-Pa55w0rd!\"\nheaders = {\"Authorization\": \"Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\"}\n```",
		"| name | iban | amount |\n|---|---|---|\n| A. Keller | DE89 3704 0044 0532 0130 00 | 1,250.00 |\n| B. Novak | GB82WEST12345698765432 | 980.10 |\n| C. Duarte | FR1420041010050500013M02606 | 75.00 |",
		"Please wire the deposit and confirm. My SSN is 536-22-1234 and my bitcoin wallet is 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa if you prefer crypto. See https://northwind.example.com/help?ticket=48213 for details.",
	}
	var b strings.Builder
	for b.Len() < 16<<10 {
		for _, p := range parts {
			b.WriteString(p)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}()

func BenchmarkFind(b *testing.B) {
	benchFind(b, New(), []struct{ name, text string }{
		{"short", benchShort},
		{"typical", benchTypical},
		{"16KB", bench16K},
	})
}

// BenchmarkFindUnicode is the default detector on the typical prompt rewritten by each evasion
// transform (the folding and its offset map are then on the path).
func BenchmarkFindUnicode(b *testing.B) {
	var cases []struct{ name, text string }
	for _, tr := range transforms {
		cases = append(cases, struct{ name, text string }{tr.name, tr.apply(benchTypical).text})
	}
	cases = append(cases, struct{ name, text string }{"accents", strings.ReplaceAll(benchTypical, "Jordan", "Jördan")})
	benchFind(b, New(), cases)
}

// BenchmarkFindAllTypes has every type on, the name tagger included.
func BenchmarkFindAllTypes(b *testing.B) {
	benchFind(b, New(WithAllTypes()), []struct{ name, text string }{
		{"short", benchShort},
		{"typical", benchTypical},
		{"names", benchNames},
		{"16KB", bench16K},
	})
}

func benchFind(b *testing.B, d *Detector, cases []struct{ name, text string }) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			d.Find(c.text) // warm the pool
			durs := make([]time.Duration, 0, b.N)
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				d.Find(c.text)
				durs = append(durs, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(durs)
			b.ReportMetric(float64(durs[len(durs)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(durs[len(durs)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}

func BenchmarkRedact(b *testing.B) {
	d := New()
	ents := d.Find(benchTypical)
	style := StyleHash([]byte("0123456789abcdef0123456789abcdef"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Redact(benchTypical, ents, style)
	}
}
