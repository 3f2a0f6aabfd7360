package poison

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestTrafficRecordOnTheModuleTopic_VerifiesAfterTheUpgrade: a deployment
// upgraded past decision 0034 holds request records that an older relay put
// on astra.gateway, besides the new ones on astra.gateway.traffic. `astra
// verify` accepts a ledger record on either and reports nothing.
func TestTrafficRecordOnTheModuleTopic_VerifiesAfterTheUpgrade(t *testing.T) {
	cfg := testkit.Config(t)
	in := testkit.Start(t, &cfg)
	admin := in.AdminToken(t)
	_, token := in.NewTenant(t, admin, "Upgraded")
	r := in.Do(t, http.MethodPost, "/api/v1/gateway/chat/completions", token,
		map[string]any{"provider": "mock", "model": "mock-small", "messages": []map[string]string{{"role": "user", "content": "hello"}}})
	if r.Status != http.StatusOK {
		t.Fatalf("chat: %d %s", r.Status, r.Body)
	}

	// The request record, as the relay published it on the traffic topic.
	topic := gw.RequestCompleted.Topic()
	if topic != "astra.gateway.traffic" {
		t.Fatalf("request records go to %s", topic)
	}
	var rec *sarama.ConsumerMessage
	testkit.Eventually(t, 20*time.Second, "the request record on "+topic, func() bool {
		if recs := testkit.KafkaRecords(t, []string{in.BrokerAddr()}, topic); len(recs) > 0 {
			rec = recs[0]
		}
		return rec != nil
	})

	// An older relay would have put it on the module's topic.
	cfgp := eventstore.KafkaConfig("kcat")
	cfgp.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer([]string{in.BrokerAddr()}, cfgp)
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	msg := &sarama.ProducerMessage{Topic: "astra.gateway", Partition: rec.Partition, Key: sarama.ByteEncoder(rec.Key), Value: sarama.ByteEncoder(rec.Value)}
	for _, h := range rec.Headers {
		msg.Headers = append(msg.Headers, *h)
	}
	if _, _, err := producer.SendMessage(msg); err != nil {
		t.Fatal(err)
	}

	code, out := testkit.RunAstra(t, cfg, "verify")
	if code != 0 || strings.Contains(out, "forged") || strings.Contains(out, "missing") {
		t.Fatalf("verify exited %d with a request record on the module topic:\n%s", code, out)
	}
}
