package poison

import (
	"context"
	"errors"
	"testing"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestRecordAuth_UnsignedRecordsCheckedAgainstTheLedger: records published
// before records were signed carry no MAC; they are accepted when the ledger
// holds the same event, and refused when anything differs.
func TestRecordAuth_UnsignedRecordsCheckedAgainstTheLedger(t *testing.T) {
	in := testkit.Start(t, nil)
	st := in.Running.Stack
	ctx := context.Background()
	evs, err := st.Store.ReadFrom(ctx, 0, 10)
	if err != nil || len(evs) == 0 {
		t.Fatalf("ledger: %d events, %v", len(evs), err)
	}
	record := func(e *eventstore.Event) *sarama.ConsumerMessage {
		pm := eventstore.ToKafka(e) // as the relay published before signing
		m := &sarama.ConsumerMessage{Topic: pm.Topic, Value: pm.Value.(sarama.ByteEncoder)}
		for i := range pm.Headers {
			m.Headers = append(m.Headers, &pm.Headers[i])
		}
		return m
	}
	for i := range evs {
		if _, err := st.Records.Verify(ctx, record(&evs[i])); err != nil {
			t.Fatalf("unsigned ledger event %s refused: %v", evs[i].ID, err)
		}
	}
	altered := evs[0]
	altered.Data = append([]byte(nil), altered.Data...)
	altered.Data[len(altered.Data)-2] ^= 1
	moved := evs[0]
	moved.Position += 1000
	for name, e := range map[string]*eventstore.Event{"altered payload": &altered, "other position": &moved} {
		if _, err := st.Records.Verify(ctx, record(e)); !errors.Is(err, eventstore.ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
		}
	}
}
