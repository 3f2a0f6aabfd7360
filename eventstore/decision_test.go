package eventstore_test

import (
	"errors"
	"testing"

	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
)

func TestOne_DecidesOneEventNoneOrTheRulesError(t *testing.T) {
	d := &risk.RiskClosedV1{RiskID: "r1"}
	got, err := eventstore.One(risk.RiskClosed, "r1", d, nil)
	if err != nil || len(got) != 1 || got[0].Type.CEType() != risk.RiskClosed.CEType() || got[0].Subject != "r1" || got[0].Data != any(d) {
		t.Fatalf("one event: %+v %v", got, err)
	}
	if got, err := eventstore.One[risk.RiskClosedV1](risk.RiskClosed, "r1", nil, nil); err != nil || len(got) != 0 {
		t.Fatalf("nothing to record: %+v %v", got, err)
	}
	refused := errors.New("refused")
	if got, err := eventstore.One(risk.RiskClosed, "r1", d, refused); !errors.Is(err, refused) || len(got) != 0 {
		t.Fatalf("the rule's error: %+v %v", got, err)
	}
}
