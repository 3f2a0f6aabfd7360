package reactors

import (
	"context"
	"testing"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
)

func BenchmarkTmpLocalRequestRecord(b *testing.B) {
	h := &Host{}
	h.Add(Reactor{Name: "x", Types: gateway.StateEvents, Scope: EveryInstance, Handle: func(context.Context, *eventstore.Event) error { return nil }})
	evs := []eventstore.Event{{Type: gw.RequestCompleted.CEType()}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.Local(evs)
	}
}
