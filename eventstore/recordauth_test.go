package eventstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
)

// consumed turns a produced record into what a consumer reads.
func consumed(pm *sarama.ProducerMessage) *sarama.ConsumerMessage {
	m := &sarama.ConsumerMessage{Topic: pm.Topic, Value: pm.Value.(sarama.ByteEncoder)}
	for i := range pm.Headers {
		m.Headers = append(m.Headers, &pm.Headers[i])
	}
	return m
}

func TestRecordAuth_AcceptsSignedRecordsOnly(t *testing.T) {
	kek := make([]byte, 32)
	auth := NewRecordAuth(nil, kek)
	e := Event{ID: uuid.Must(uuid.NewV7()), Type: "com.astra.iam.RoleAssigned", Source: "/astra/iam", Subject: "u1",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), TenantID: "t1", Actor: "a", StreamID: "iam.user-u1", Version: 3,
		SchemaVersion: 1, Data: []byte(`{"user_id":"u1","role":"auditor"}`), Position: 42, PrevHash: []byte("prev-hash-of-version-2")}
	e.Hash = chainHash(e.PrevHash, &e)
	signed := func() *sarama.ProducerMessage { pm := ToKafka(&e); auth.Sign(pm, &e); return pm }

	got, err := auth.Verify(context.Background(), consumed(signed()))
	if err != nil {
		t.Fatalf("signed record refused: %v", err)
	}
	if got.ID != e.ID || string(got.Hash) != string(e.Hash) {
		t.Fatalf("decoded %+v", got)
	}

	tamper := map[string]func(pm *sarama.ProducerMessage){
		"payload": func(pm *sarama.ProducerMessage) {
			pm.Value = sarama.ByteEncoder(`{"user_id":"u1","role":"platform_admin"}`)
		},
		"position": func(pm *sarama.ProducerMessage) {
			for i := range pm.Headers {
				if string(pm.Headers[i].Key) == hdrPosition {
					pm.Headers[i].Value = []byte("43")
				}
			}
		},
		"tenant": func(pm *sarama.ProducerMessage) {
			for i := range pm.Headers {
				if string(pm.Headers[i].Key) == hdrTenant {
					pm.Headers[i].Value = []byte("t2")
				}
			}
		},
		"no MAC": func(pm *sarama.ProducerMessage) { pm.Headers = pm.Headers[:len(pm.Headers)-2] },
		"other key": func(pm *sarama.ProducerMessage) {
			other := NewRecordAuth(nil, []byte("another master key of 32 bytes!!"))
			pm.Headers = pm.Headers[:len(pm.Headers)-2]
			other.Sign(pm, &e)
		},
	}
	for name, fn := range tamper {
		pm := signed()
		fn(pm)
		if _, err := auth.Verify(context.Background(), consumed(pm)); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: %v, want ErrUnauthenticated", name, err)
		}
	}
}

func BenchmarkRecordAuth_Verify(b *testing.B) {
	auth := NewRecordAuth(nil, make([]byte, 32))
	e := Event{ID: uuid.Must(uuid.NewV7()), Type: "com.astra.gateway.RequestCompleted", Source: "/astra/gateway", Subject: "r1",
		Time: time.Now().UTC(), TenantID: "t1", Actor: "a", StreamID: "gateway.request-r1", Version: 1, SchemaVersion: 1,
		Data: make([]byte, 1500), Position: 42, PrevHash: []byte{}}
	e.Hash = chainHash(e.PrevHash, &e)
	pm := ToKafka(&e)
	auth.Sign(pm, &e)
	m := consumed(pm)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := auth.Verify(context.Background(), m); err != nil {
			b.Fatal(err)
		}
	}
}
