package trust_test

import (
	"slices"
	"testing"

	_ "github.com/astrabastion/astra/domain/gateway" // declares the gateway's signals
	_ "github.com/astrabastion/astra/domain/risk"    // declares the register's signals
	"github.com/astrabastion/astra/domain/trust"
	rmtrust "github.com/astrabastion/astra/projections/trust"
)

func TestTrustProjection_ConsumesEveryDeclaredSignal(t *testing.T) {
	decls := trust.Signals.All()
	if len(decls) == 0 {
		t.Fatal("no declared signals")
	}
	topics := rmtrust.Projection{}.Topics()
	for _, d := range decls {
		if !slices.Contains(topics, d.Type.Topic()) {
			t.Errorf("%s: topic %s not consumed (topics %v)", d.Type.CEType(), d.Type.Topic(), topics)
		}
		if !rmtrust.Handles(d.Type.CEType()) {
			t.Errorf("%s: not applied", d.Type.CEType())
		}
	}
	// Its own events, and nothing that is neither its own nor declared.
	for _, ce := range []string{trust.ScoreUpdated.CEType(), trust.DecayConfigured.CEType(), trust.WeightsConfigured.CEType()} {
		if !rmtrust.Handles(ce) {
			t.Errorf("%s not applied", ce)
		}
	}
	if rmtrust.Handles("com.astra.iam.UserCreated") || slices.Contains(topics, "astra.iam") {
		t.Errorf("consumes what no signal declares: %v", topics)
	}
	if err := trust.Signals.Verify(); err != nil {
		t.Fatal(err)
	}
}
