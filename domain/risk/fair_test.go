package risk

import (
	"math"
	"testing"
)

func TestSimulate_MatchesTheAnalyticMean(t *testing.T) {
	cases := []struct {
		name string
		in   FairInputs
	}{
		{"poisson x lognormal (issue example: $40,400)", FairInputs{Frequency: Frequency{Model: FrequencyPoisson, Rate: 0.1}, Vulnerability: 1,
			Primary: Magnitude{Model: MagnitudeLognormal, Low: 100_000, High: 1_000_000}}},
		{"poisson with vulnerability and secondary loss", FairInputs{Frequency: Frequency{Model: FrequencyPoisson, Rate: 4}, Vulnerability: 0.3,
			Primary:   Magnitude{Model: MagnitudePERT, Min: 10_000, Mode: 50_000, Max: 400_000},
			Secondary: &Magnitude{Model: MagnitudeLognormal, Low: 5_000, High: 80_000}, SecondaryProbability: 0.4}},
		{"bernoulli x pert", FairInputs{Frequency: Frequency{Model: FrequencyBernoulli, Rate: 0.25}, Vulnerability: 0.8,
			Primary: Magnitude{Model: MagnitudePERT, Min: 1_000, Mode: 20_000, Max: 90_000}}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Simulate(c.in, 100_000, 42)
			if err != nil {
				t.Fatal(err)
			}
			want := c.in.AnalyticMean()
			// Within four standard errors of the simulation (sampling noise), and
			// within 1% for the reference example.
			se := r.StdDev / math.Sqrt(float64(r.Iterations))
			if d := math.Abs(r.MeanALE - want); d > 4*se || (i == 0 && d/want > 0.01) {
				t.Fatalf("mean ALE %.0f vs analytic %.0f (%.2f%%, %.1f standard errors)", r.MeanALE, want, d/want*100, d/se)
			}
			if !(r.P10 <= r.P50 && r.P50 <= r.P90 && r.P90 <= r.P95 && r.P95 <= r.P99 && r.P99 <= r.VaR999 && r.VaR99 <= r.ES99) {
				t.Fatalf("quantiles out of order: %+v", r)
			}
		})
	}
	mu, s := LognormalParams(100_000, 1_000_000)
	if got := 0.1 * math.Exp(mu+s*s/2); math.Abs(got-40_400) > 100 {
		t.Fatalf("issue example analytic mean %.0f, want about 40,400", got)
	}
}

func TestSimulate_IsReproducibleWithASeed(t *testing.T) {
	in := FairInputs{Frequency: Frequency{Model: FrequencyPoisson, Rate: 2}, Vulnerability: 0.5, Primary: Magnitude{Model: MagnitudeLognormal, Low: 1e4, High: 1e6}}
	a, _ := Simulate(in, 10_000, 7)
	b, _ := Simulate(in, 10_000, 7)
	c, _ := Simulate(in, 10_000, 8)
	if a.MeanALE != b.MeanALE || a.P99 != b.P99 || a.MeanALE == c.MeanALE {
		t.Fatalf("seeded runs: %v %v %v", a.MeanALE, b.MeanALE, c.MeanALE)
	}
}

func TestInputs_AreValidated(t *testing.T) {
	bad := []FairInputs{
		{Frequency: Frequency{Model: "weekly", Rate: 1}, Vulnerability: 1, Primary: Magnitude{Model: MagnitudeLognormal, Low: 1, High: 2}},
		{Frequency: Frequency{Model: FrequencyBernoulli, Rate: 2}, Vulnerability: 1, Primary: Magnitude{Model: MagnitudeLognormal, Low: 1, High: 2}},
		{Frequency: Frequency{Model: FrequencyPoisson, Rate: 1}, Vulnerability: 1.5, Primary: Magnitude{Model: MagnitudeLognormal, Low: 1, High: 2}},
		{Frequency: Frequency{Model: FrequencyPoisson, Rate: 1}, Vulnerability: 1, Primary: Magnitude{Model: MagnitudeLognormal, Low: 2, High: 1}},
		{Frequency: Frequency{Model: FrequencyPoisson, Rate: 1}, Vulnerability: 1, Primary: Magnitude{Model: MagnitudePERT, Min: 5, Mode: 1, Max: 9}},
	}
	for i, in := range bad {
		if _, err := Simulate(in, 10, 1); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
}

func BenchmarkSimulate100k(b *testing.B) {
	in := FairInputs{Frequency: Frequency{Model: FrequencyPoisson, Rate: 0.1}, Vulnerability: 1, Primary: Magnitude{Model: MagnitudeLognormal, Low: 100_000, High: 1_000_000}}
	for b.Loop() {
		if _, err := Simulate(in, 100_000, 42); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPortfolio100Risks100k(b *testing.B) {
	ins := make([]FairInputs, 100)
	for i := range ins {
		ins[i] = FairInputs{Frequency: Frequency{Model: FrequencyPoisson, Rate: 0.05 + float64(i%10)*0.02}, Vulnerability: 0.6,
			Primary: Magnitude{Model: MagnitudeLognormal, Low: 10_000, High: 500_000}}
	}
	for b.Loop() {
		if _, err := Portfolio(ins, 100_000, 42); err != nil {
			b.Fatal(err)
		}
	}
}
