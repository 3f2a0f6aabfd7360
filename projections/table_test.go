package projections_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/astrabastion/astra/domain/risk"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

func TestTable_DeclaresEachTypeOnceWithItsRegisteredPayload(t *testing.T) {
	noop := func(context.Context, pgx.Tx, string, *eventstore.Event, *risk.RiskClosedV1) error { return nil }
	tbl := projections.On(projections.NewTable(), risk.RiskClosed, noop)
	if !tbl.Handles(risk.RiskClosed.CEType()) || tbl.Handles(risk.RiskUpdated.CEType()) || len(tbl.Types()) != 1 {
		t.Fatalf("table declares %v", tbl.Types())
	}
	for name, declare := range map[string]func(){
		"declared twice": func() { projections.On(tbl, risk.RiskClosed, noop) },
		"wrong payload": func() {
			projections.On(projections.NewTable(), risk.RiskUpdated, noop)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			declare()
		}()
	}
}
