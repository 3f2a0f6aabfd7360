package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/astrabastion/astra/app"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
	"github.com/google/uuid"
)

func TestTmpAppendLatency(t *testing.T) {
	cfg := testkit.Config(t)
	st, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	meter := cpuMeter{pool: st.Pool}
	for _, relaxed := range []bool{false, true, false, true} {
		before := meter.snapshot(ctx)
		var lat []time.Duration
		for i := 0; i < 1000; i++ {
			id := uuid.NewString()
			rec := &gw.RequestRecordedV1{RequestID: id, TenantID: "t", Steps: make([]gw.StepTrace, 14)}
			sa := eventstore.StreamAppend{StreamID: gw.StreamOfRequest(id), Expected: eventstore.NoStream,
				Events: []eventstore.Draft{{Type: gw.RequestCompleted, Subject: id, Data: rec}}}
			start := time.Now()
			if relaxed {
				_, err = st.Store.AppendRelaxed(ctx, eventstore.Metadata{TenantID: "t", Actor: "a"}, sa)
			} else {
				_, err = st.Store.Append(ctx, eventstore.Metadata{TenantID: "t", Actor: "a"}, sa)
			}
			if err != nil {
				t.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
		d := NewDist(lat)
		self, pg := meter.since(ctx, before)
		fmt.Println("relaxed", relaxed, "p50", d.P(0.5), "p90", d.P(0.9), "p99", d.P(0.99), "cpu/append self", self/1000, "pg", pg/1000)
	}
	var lat []time.Duration
	for i := 0; i < 1000; i++ {
		start := time.Now()
		var x int
		_ = st.Pool.QueryRow(ctx, "SELECT 1").Scan(&x)
		lat = append(lat, time.Since(start))
	}
	d := NewDist(lat)
	fmt.Println("select 1 p50", d.P(0.5), "p90", d.P(0.9), "p99", d.P(0.99))
}
