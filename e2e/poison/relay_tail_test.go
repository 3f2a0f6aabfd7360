package poison

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

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
	// Everything committed is on the broker first, so that the forged
	// records are the partitions' last.
	pool, err := pgxpool.New(context.Background(), cfg.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	testkit.Eventually(t, 20*time.Second, "the relay to drain", func() bool {
		var head, cp int64
		err := pool.QueryRow(context.Background(), `SELECT (SELECT position FROM ledger_head), (SELECT position FROM relay_checkpoint)`).Scan(&head, &cp)
		return err == nil && cp >= head
	})

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
		if r.Status != http.StatusCreated {
			t.Fatalf("create user: %d %s", r.Status, r.Body)
		}
		var u struct {
			ID string `json:"id"`
		}
		r.Data(t, &u)
		// The read model itself, not the consistency header: a forged
		// position applied by a projection would make that lie too.
		testkit.Eventually(t, cfg.ReadYourWrites, "a user written after the takeover to reach the read model (else the relay skipped it)", func() bool {
			return in.Do(t, http.MethodGet, "/api/v1/iam/users/"+u.ID, admin, nil).Status == http.StatusOK
		})
	}
}
