package poison

import (
	"net/http"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

// TestRelayTakeover_IgnoresForgedTail: a new relay leader reads every
// partition's last record to skip what its predecessor already published. A
// forged record at a partition's end, claiming a far position, must not make
// it skip the events up to that position: they would never reach Kafka.
func TestRelayTakeover_IgnoresForgedTail(t *testing.T) {
	cfg := testkit.Config(t)
	cfg.HTTPAddr = testkit.FreePort(t)
	cfg.ReadYourWrites = 5 * time.Second
	p := testkit.StartProcess(t, cfg)
	in := testkit.Remote(t, p.URL)
	admin := in.AdminToken(t)

	client, err := sarama.NewClient([]string{cfg.KafkaListen}, eventstore.KafkaConfig("kcat"))
	if err != nil {
		t.Fatal(err)
	}
	parts, err := client.Partitions("astra.iam")
	client.Close()
	if err != nil {
		t.Fatal(err)
	}
	cfgp := eventstore.KafkaConfig("kcat")
	cfgp.Producer.Partitioner = sarama.NewManualPartitioner
	producer, err := sarama.NewSyncProducer([]string{cfg.KafkaListen}, cfgp)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range parts {
		e := eventstore.Event{ID: uuid.Must(uuid.NewV7()), Type: iam.UserUpdated.CEType(), Source: "/astra/iam", Subject: "x",
			Time: time.Now().UTC(), TenantID: "t", Actor: "attacker", StreamID: "iam.user-x", Version: 1, SchemaVersion: 1,
			Position: 1_000_000_000, Data: []byte(`{}`)}
		pm := eventstore.ToKafka(&e)
		pm.Partition = part
		if _, _, err := producer.SendMessage(pm); err != nil {
			t.Fatal(err)
		}
	}
	producer.Close()

	// The next leader reads those tails on takeover.
	p.Stop()
	p = testkit.StartProcess(t, cfg)
	in = testkit.Remote(t, p.URL)
	admin = in.AdminToken(t)
	for i := 0; i < 6; i++ { // streams on every partition
		r := in.Do(t, http.MethodPost, "/api/v1/iam/users", admin, map[string]string{"email": uuid.NewString()[:8] + "@tail.test", "name": "After takeover", "role": "viewer"})
		if r.Status != http.StatusCreated || r.Header.Get("X-Astra-Consistency") != "strong" {
			t.Fatalf("a write after the takeover did not reach its read model (%d, %q): the relay skipped it", r.Status, r.Header.Get("X-Astra-Consistency"))
		}
	}
}
