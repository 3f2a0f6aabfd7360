package datagov_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/astrabastion/astra/domain/datagov"
)

// columnSamples is a table of the kind an inventory classifies: identifiers,
// contact data, payment data, free text and numbers, 1,000 rows.
func columnSamples(rows int) (map[string][]string, int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	first := []string{"Ana", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas"}
	last := []string{"Smith", "García", "Müller", "Rossi", "Nakamura", "Okafor", "Dubois", "Novak", "Silva", "Berg"}
	cards := []string{"4111 1111 1111 1111", "5500-0000-0000-0004", "3400 000000 00009", "6011000000000004"}
	notes := []string{"called about the invoice, will pay next week", "prefers e-mail contact", "VIP since 2019",
		"asked to update the shipping address", "no notes", "complaint resolved by the support team on the phone"}
	cols := map[string][]string{}
	var size int64
	add := func(col, v string) {
		cols[col] = append(cols[col], v)
		size += int64(len(v))
	}
	for i := range rows {
		f, l := first[rng.IntN(len(first))], last[rng.IntN(len(last))]
		add("customer_id", fmt.Sprintf("C-%08d", i))
		add("full_name", f+" "+l)
		add("email", fmt.Sprintf("%s.%s%d@example.com", f, l, i))
		add("phone", fmt.Sprintf("+1 415 555 %04d", rng.IntN(10000)))
		add("card_number", cards[rng.IntN(len(cards))])
		add("ip", fmt.Sprintf("192.0.2.%d", rng.IntN(255)))
		add("notes", notes[rng.IntN(len(notes))])
		add("amount", fmt.Sprintf("%d.%02d", rng.IntN(5000), rng.IntN(100)))
		add("created", fmt.Sprintf("2024-%02d-%02d", 1+rng.IntN(12), 1+rng.IntN(28)))
	}
	return cols, size
}

func TestColumns_FindsEachColumnsType(t *testing.T) {
	c := datagov.NewClassifier()
	cols, _ := columnSamples(200)
	sum, out := c.Columns(cols)
	want := map[string]string{"email": "EMAIL_ADDRESS", "card_number": "CREDIT_CARD", "phone": "PHONE_NUMBER", "ip": "IP_ADDRESS", "created": "DATE_TIME"}
	for _, col := range out {
		typ, ok := want[col.Column]
		if !ok {
			continue
		}
		if len(col.Findings) == 0 || col.Findings[0].Type != typ || col.Findings[0].Share < 0.9 {
			t.Errorf("%s: %+v", col.Column, col.Findings)
		}
	}
	if sum.Sensitivity != datagov.Restricted || !slices.Contains(sum.Types, "CREDIT_CARD") {
		t.Fatalf("summary: %+v", sum)
	}
}

func TestColumns_ColumnNameGivesContext(t *testing.T) {
	c := datagov.NewClassifier()
	// Nine bare digits are no SSN on their own; in a column named ssn they are.
	_, bare := c.Columns(map[string][]string{"value": {"536220418", "536220419"}})
	_, named := c.Columns(map[string][]string{"ssn": {"536220418", "536220419"}})
	if len(bare[0].Findings) != 0 || len(named[0].Findings) != 1 || named[0].Findings[0].Type != "US_SSN" {
		t.Fatalf("bare %+v, named %+v", bare[0].Findings, named[0].Findings)
	}
}

// BenchmarkColumns measures classification throughput in bytes of column
// samples (go test -bench Columns -cpu 1 ./domain/datagov/). Besides the
// wall-clock MB/s it reports MB per CPU-second the process used (MB/cpu-s):
// on a machine whose cores are shared the wall clock counts the time the
// benchmark waited for a core, the CPU time does not.
func BenchmarkColumns(b *testing.B) {
	c := datagov.NewClassifier()
	cols, size := columnSamples(1000)
	b.SetBytes(size)
	b.ReportAllocs()
	before := cpuTime()
	for b.Loop() {
		c.Columns(cols)
	}
	if cpu := cpuTime() - before; cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkColumnsByColumn classifies each column of the same table alone:
// where the time goes (phone numbers are validated against libphonenumber's
// metadata by the engine, the costliest check it makes).
func BenchmarkColumnsByColumn(b *testing.B) {
	c := datagov.NewClassifier()
	cols, _ := columnSamples(1000)
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		one := map[string][]string{name: cols[name]}
		var size int64
		for _, s := range cols[name] {
			size += int64(len(s))
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				c.Columns(one)
			}
		})
	}
}
