// Package cluster tests several `astra serve` processes sharing one Postgres
// and one broker: both take writes and reads, exactly one relays and another
// takes over when it dies, projections share partitions, and a WebSocket
// client of one instance sees the writes made on the other.
package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/testkit"
)

type node struct {
	p     *testkit.Process
	in    *testkit.Instance // HTTP helper bound to the process URL
	token string
}

func startNode(t *testing.T, dsn, brokers string) *node {
	t.Helper()
	cfg := testkit.Config(t)
	cfg.DatabaseURL = dsn
	cfg.HTTPAddr = testkit.FreePort(t)
	if brokers != "" {
		cfg.KafkaBrokers = []string{brokers}
	}
	p := testkit.StartProcess(t, cfg)
	in := testkit.Remote(t, p.URL)
	return &node{p: p, in: in, token: in.AdminToken(t)}
}

func (n *node) ready(t *testing.T) (leader bool, ok bool) {
	t.Helper()
	resp, err := http.Get(n.p.URL + "/api/v1/admin/health/ready")
	if err != nil {
		return false, false
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			RelayLeader bool `json:"relay_leader"`
		} `json:"data"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return body.Data.RelayLeader, resp.StatusCode == http.StatusOK
}

func createUser(t *testing.T, n *node, email string) (string, int) {
	t.Helper()
	r := n.in.Do(t, http.MethodPost, "/api/v1/iam/users", n.token, map[string]string{
		"email": email, "name": "User " + email, "role": "viewer", "password": "cluster-test-password"})
	var u struct {
		ID string `json:"id"`
	}
	if r.Status == http.StatusCreated {
		r.Data(t, &u)
	}
	return u.ID, r.Status
}

func TestCluster_TwoInstancesShareOneBrokerAndFailOver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three processes")
	}
	dsn := testkit.FreshDatabase(t)
	broker, err := eventstore.StartEmbeddedBroker(t.TempDir(), testkit.FreePort(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)

	a := startNode(t, dsn, broker.Addr())
	b := startNode(t, dsn, broker.Addr())

	// Both take writes, and each writer reads its own write at once on the other instance too.
	idA, st := createUser(t, a, "alice@cluster.test")
	if st != http.StatusCreated {
		t.Fatalf("create on A: %d", st)
	}
	idB, st := createUser(t, b, "bob@cluster.test")
	if st != http.StatusCreated {
		t.Fatalf("create on B: %d", st)
	}
	for _, c := range []struct {
		n  *node
		id string
	}{{b, idA}, {a, idB}} {
		testkit.Eventually(t, 10*time.Second, "user visible on the other instance", func() bool {
			return c.n.in.Do(t, http.MethodGet, "/api/v1/iam/users/"+c.id, c.n.token, nil).Status == http.StatusOK
		})
	}

	// Exactly one relays.
	la, _ := a.ready(t)
	lb, _ := b.ready(t)
	if la == lb {
		t.Fatalf("relay leaders: a=%v b=%v, want exactly one", la, lb)
	}

	// Projections share the work: the iam consumer group has a member per instance.
	admin, err := sarama.NewClusterAdmin([]string{broker.Addr()}, eventstore.KafkaConfig("cluster-test"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	testkit.Eventually(t, 20*time.Second, "two members in the iam projection group", func() bool {
		groups, err := admin.DescribeConsumerGroups([]string{"astra-projection-iam-g1"})
		return err == nil && len(groups) == 1 && len(groups[0].Members) == 2
	})

	// A WebSocket client of B sees a write made on A.
	ws := b.in.DialWS(t, b.token)
	ws.Subscribe("", "iam.user.*")
	idC, _ := createUser(t, a, "carol@cluster.test")
	got := ws.Events(10*time.Second, func(evs []map[string]any) bool {
		for _, e := range evs {
			if e["subject"] == idC {
				return true
			}
		}
		return false
	})
	if len(got) == 0 || got[len(got)-1]["subject"] != idC {
		t.Fatalf("B's subscriber did not see A's write; got %v", got)
	}

	// Kill the relaying instance under a write load on the survivor: the survivor
	// takes over within seconds and Kafka ends up with every position exactly once.
	leader, survivor := a, b
	if lb {
		leader, survivor = b, a
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	created := 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, st := createUser(t, survivor, fmt.Sprintf("load-%d-%d@cluster.test", w, i)); st == http.StatusCreated {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}
		}(w)
	}
	time.Sleep(500 * time.Millisecond)
	leader.p.Kill()
	killed := time.Now()
	testkit.Eventually(t, 15*time.Second, "the survivor to take over the relay", func() bool {
		l, _ := survivor.ready(t)
		return l
	})
	t.Logf("relay takeover after %s", time.Since(killed).Round(10*time.Millisecond))
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	if created == 0 {
		t.Fatal("no write succeeded on the survivor during the failover")
	}

	// Every ledger position is on Kafka exactly once, in order within each partition.
	var head int64
	testkit.Eventually(t, 20*time.Second, "relay to catch up", func() bool {
		var body struct {
			Data struct {
				Head int64 `json:"head_position"`
				Lag  int64 `json:"relay_lag"`
			} `json:"data"`
		}
		r := survivor.in.Do(t, http.MethodGet, "/api/v1/admin/event-store/stats", survivor.token, nil)
		r.JSON(t, &body)
		head = body.Data.Head
		return r.Status == http.StatusOK && body.Data.Lag == 0
	})
	seen := map[int64]int{}
	for _, topic := range []string{"astra.iam"} {
		byPartition := map[int32][]int64{}
		for _, m := range testkit.KafkaRecords(t, []string{broker.Addr()}, topic) {
			for _, h := range m.Headers {
				if string(h.Key) == "ce_position" {
					pos, _ := strconv.ParseInt(string(h.Value), 10, 64)
					seen[pos]++
					byPartition[m.Partition] = append(byPartition[m.Partition], pos)
				}
			}
		}
		for p, ps := range byPartition {
			if !sort.SliceIsSorted(ps, func(i, j int) bool { return ps[i] < ps[j] }) {
				t.Errorf("%s/%d positions out of order", topic, p)
			}
		}
	}
	for pos := int64(1); pos <= head; pos++ {
		if seen[pos] != 1 {
			t.Fatalf("position %d is on Kafka %d times (head %d)", pos, seen[pos], head)
		}
	}
	t.Logf("%d users created on the survivor during failover; %d positions on Kafka exactly once", created, head)
}

func TestCluster_SecondInstanceUsesFirstInstancesEmbeddedBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two processes")
	}
	dsn := testkit.FreshDatabase(t)
	a := startNode(t, dsn, "")
	b := startNode(t, dsn, a.p.Cfg.KafkaListen)
	ws := a.in.DialWS(t, a.token)
	ws.Subscribe("", "iam.*")
	id, st := createUser(t, b, "dave@cluster.test")
	if st != http.StatusCreated {
		t.Fatalf("create on B: %d", st)
	}
	ws.Await(10*time.Second, id, "com.astra.iam.UserCreated") // B's write, seen by A's subscriber
	if r := a.in.Do(t, http.MethodGet, "/api/v1/iam/users/"+id, a.token, nil); r.Status != http.StatusOK {
		t.Fatalf("read on A of B's write: %d", r.Status)
	}
}
