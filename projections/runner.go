// Package projections runs the read-model builders: each projection consumes
// the module topics it needs from Kafka (consumer groups, so instances share the
// work), applies batches of events to its Postgres tables and records its
// position in the same transaction. Every projection lives in generations
// (schemas); a rebuild fills a new generation from offset 0 while the old one
// serves, then switches (blue/green).
package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/astrabastion/astra/eventstore"
)

// switchLag is how close to the log's end a rebuilt generation must be to go live;
// under a steady write load the end moves, so zero would never be reached.
const switchLag = 1000

// NotifyChannel carries progress, generation and switch announcements between instances.
const NotifyChannel = "astra_projections"

// Projection builds one read model.
type Projection interface {
	// Name identifies the projection (lower case, [a-z0-9_]).
	Name() string
	// Topics are the Kafka topics it consumes.
	Topics() []string
	// Setup creates its tables in a fresh schema.
	Setup(ctx context.Context, tx pgx.Tx, schema string) error
	// Apply applies a batch of events to the tables in schema: the events of
	// each partition in order, partitions interleaved. It must be a pure
	// function of the tables and the events (no clock, no randomness), so
	// that a replay builds identical tables.
	Apply(ctx context.Context, tx pgx.Tx, schema string, evs []eventstore.Event) error
}

// HighVolume is implemented by projections that consume a high-volume topic
// (the gateway's request records): their consumers trade a few milliseconds
// for batches (see eventstore.BatchingConsumer); the others fetch as soon as
// anything arrives and poll slowly when idle.
type HighVolume interface {
	HighVolume() bool
}

// ErrTimeout reports that a projection did not reach a position within the bound.
var ErrTimeout = errors.New("projections: read model not caught up within the bound")

// Generation is one build of a projection's tables.
type Generation struct {
	Projection string     `json:"projection"`
	Generation int        `json:"generation"`
	Schema     string     `json:"schema"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	Activated  *time.Time `json:"activated_at,omitempty"`
}

type progressKey struct {
	name      string
	gen       int
	topic     string
	partition int32
}

// Runner hosts the projections of one instance.
type Runner struct {
	pool    *pgxpool.Pool
	brokers []string
	log     *slog.Logger
	byName  map[string]Projection
	order   []string

	mu         sync.Mutex
	active     map[string]Generation
	progress   map[progressKey]int64
	changed    chan struct{} // closed and replaced on every progress change
	workers    map[string]context.CancelFunc
	running    sync.WaitGroup // workers still running (they leave their consumer group on exit)
	partitions map[string]int32
	client     sarama.Client

	// SwitchLag is how close to the log's end a rebuilt generation must be to
	// go live (default switchLag; replays set 0).
	SwitchLag int64

	// lz4 says the server compresses with lz4 (see Init).
	lz4 bool

	// OnApplied, when set, is told of every applied batch (metrics, tests).
	OnApplied func(name string, n int)
	// OnDeadLetter, when set, is told of every record quarantined instead
	// of applied (after the quarantine committed).
	OnDeadLetter func(DeadLetter)

	// Auth checks that every consumed record is a ledger event; without it
	// records are only decoded (tests and benchmarks of the apply path).
	Auth *eventstore.RecordAuth
}

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// NewRunner prepares a runner; Run starts it.
func NewRunner(pool *pgxpool.Pool, brokers []string, log *slog.Logger, ps ...Projection) *Runner {
	r := &Runner{pool: pool, brokers: brokers, log: log, byName: map[string]Projection{},
		active: map[string]Generation{}, progress: map[progressKey]int64{}, changed: make(chan struct{}),
		workers: map[string]context.CancelFunc{}, partitions: map[string]int32{}, SwitchLag: switchLag}
	for _, p := range ps {
		if !validName.MatchString(p.Name()) {
			panic("projections: invalid name " + p.Name())
		}
		r.byName[p.Name()] = p
		r.order = append(r.order, p.Name())
	}
	return r
}

// Names lists the hosted projections.
func (r *Runner) Names() []string { return append([]string(nil), r.order...) }

// Projection finds a hosted projection.
func (r *Runner) Projection(name string) (Projection, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// Init makes sure every projection has an active generation and loads the
// active schemas. Serve and replay both call it before anything reads.
func (r *Runner) Init(ctx context.Context) error {
	// Read models compress wide rows (a request's step trace) with lz4 when
	// the server has it: a fraction of the CPU of the default pglz.
	_, err := r.pool.Exec(ctx, `SET default_toast_compression = lz4; RESET default_toast_compression`)
	r.lz4 = err == nil
	for _, name := range r.order {
		if err := r.ensureActive(ctx, name); err != nil {
			return err
		}
	}
	return r.refreshActive(ctx)
}

func (r *Runner) ensureActive(ctx context.Context, name string) error {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('astra_projection:' || $1))`, name); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM projection_generations WHERE projection = $1 AND status = 'active'`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return tx.Commit(ctx)
	}
	if _, err := r.createGeneration(ctx, tx, name, "active"); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// createGeneration makes the schema and tables of a new generation.
func (r *Runner) createGeneration(ctx context.Context, tx pgx.Tx, name, status string) (Generation, error) {
	var gen int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(generation), 0) + 1 FROM projection_generations WHERE projection = $1`, name).Scan(&gen); err != nil {
		return Generation{}, err
	}
	schema := fmt.Sprintf("rm_%s_g%d", name, gen)
	if _, err := tx.Exec(ctx, `DROP SCHEMA IF EXISTS `+schema+` CASCADE`); err != nil {
		return Generation{}, err
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		return Generation{}, fmt.Errorf("projections: create schema %s: %w", schema, err)
	}
	if err := r.byName[name].Setup(ctx, tx, schema); err != nil {
		return Generation{}, fmt.Errorf("projections: setup %s: %w", schema, err)
	}
	if _, err := tx.Exec(ctx, `GRANT USAGE ON SCHEMA `+schema+` TO astra_reader;
		GRANT SELECT ON ALL TABLES IN SCHEMA `+schema+` TO astra_reader`); err != nil {
		return Generation{}, fmt.Errorf("projections: grant %s: %w", schema, err)
	}
	var activated any
	if status == "active" {
		activated = time.Now()
	}
	if _, err := tx.Exec(ctx, `INSERT INTO projection_generations (projection, generation, schema_name, status, activated_at)
		VALUES ($1, $2, $3, $4, $5)`, name, gen, schema, status, activated); err != nil {
		return Generation{}, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, "generation|"+name); err != nil {
		return Generation{}, err
	}
	return Generation{Projection: name, Generation: gen, Schema: schema, Status: status}, nil
}

func (r *Runner) refreshActive(ctx context.Context) error {
	rows, err := r.pool.Query(ctx, `SELECT projection, generation, schema_name, status, created_at, activated_at
		FROM projection_generations WHERE status = 'active'`)
	if err != nil {
		return fmt.Errorf("projections: load generations: %w", err)
	}
	gens, err := pgx.CollectRows(rows, scanGeneration)
	if err != nil {
		return err
	}
	r.mu.Lock()
	for _, g := range gens {
		r.active[g.Projection] = g
	}
	r.mu.Unlock()
	return nil
}

func scanGeneration(row pgx.CollectableRow) (Generation, error) {
	var g Generation
	err := row.Scan(&g.Projection, &g.Generation, &g.Schema, &g.Status, &g.CreatedAt, &g.Activated)
	return g, err
}

// Generations lists every generation of every projection.
func (r *Runner) Generations(ctx context.Context) ([]Generation, error) {
	rows, err := r.pool.Query(ctx, `SELECT projection, generation, schema_name, status, created_at, activated_at
		FROM projection_generations ORDER BY projection, generation`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanGeneration)
}

// Schema is the schema of the active generation of a projection.
func (r *Runner) Schema(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.active[name].Schema
}

// Read runs fn in a read-only transaction under the astra_reader role with the
// tenant set, so that row-level security scopes every query to that tenant.
// tenantID "*" is the platform view across tenants.
func (r *Runner) Read(ctx context.Context, name, tenantID string, fn func(tx pgx.Tx, schema string) error) error {
	schema := r.Schema(name)
	if schema == "" {
		return fmt.Errorf("projections: %s has no active generation", name)
	}
	if tenantID == "" {
		return errors.New("projections: read without tenant")
	}
	tx, err := r.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	// One round trip for both settings: every read pays for it.
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL ROLE astra_reader`)
	b.Queue(`SELECT set_config('astra.tenant_id', $1, true)`, tenantID)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return fn(tx, schema)
}

// TenantPolicy returns the DDL that enables row-level security on a read-model table.
func TenantPolicy(schema, table string) string {
	t := schema + "." + table
	return `ALTER TABLE ` + t + ` ENABLE ROW LEVEL SECURITY;
		CREATE POLICY tenant_isolation ON ` + t + ` USING (current_setting('astra.tenant_id', true) = '*' OR tenant_id = current_setting('astra.tenant_id', true))`
}

// Run hosts consumer-group workers for every active and building generation
// until ctx ends, and switches building generations once caught up.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.Init(ctx); err != nil {
		return err
	}
	client, err := r.kafka()
	if err != nil {
		return err
	}
	defer client.Close()
	wake := make(chan struct{}, 1)
	go r.listen(ctx, wake)
	ticker := time.NewTicker(2 * time.Second)
	defer ticker.Stop()
	for {
		if err := r.supervise(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("projections: supervise", "err", err)
		}
		select {
		case <-ctx.Done():
			r.mu.Lock()
			for _, cancel := range r.workers {
				cancel()
			}
			r.mu.Unlock()
			r.waitWorkers(10 * time.Second)
			return nil
		case <-ticker.C:
		case <-wake:
		}
	}
}

// supervise starts and stops workers to match the generations table and
// switches caught-up building generations to active.
func (r *Runner) supervise(ctx context.Context) error {
	gens, err := r.Generations(ctx)
	if err != nil {
		return err
	}
	want := map[string]Generation{}
	for _, g := range gens {
		if _, ok := r.byName[g.Projection]; !ok {
			continue
		}
		switch g.Status {
		case "active", "building":
			want[workerKey(g)] = g
		}
	}
	r.mu.Lock()
	for key, cancel := range r.workers {
		if _, ok := want[key]; !ok {
			cancel()
			delete(r.workers, key)
		}
	}
	for key, g := range want {
		if _, ok := r.workers[key]; ok {
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		r.workers[key] = cancel
		r.running.Add(1)
		go func() {
			defer r.running.Done()
			r.work(wctx, g)
		}()
	}
	r.mu.Unlock()
	for _, g := range gens {
		if g.Status == "building" {
			if err := r.trySwitch(ctx, g); err != nil {
				r.log.Warn("projections: switch", "projection", g.Projection, "err", err)
			}
		}
		if g.Status == "retired" && time.Since(g.CreatedAt) > 0 {
			if err := r.dropRetired(ctx, g); err != nil {
				r.log.Warn("projections: drop retired", "schema", g.Schema, "err", err)
			}
		}
	}
	return r.refreshActive(ctx)
}

// waitWorkers waits (bounded) for stopped workers to leave their consumer
// groups: a member that never leaves holds up the next member of its group
// until its session times out, so the projections of an instance started right
// after this one would stall that long.
func (r *Runner) waitWorkers(bound time.Duration) {
	done := make(chan struct{})
	go func() { r.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(bound):
		r.log.Warn("projections: workers did not stop in time", "bound", bound)
	}
}

func workerKey(g Generation) string { return g.Projection + "#" + strconv.Itoa(g.Generation) }

// SwitchIfCaughtUp activates every building generation that has caught up.
func (r *Runner) SwitchIfCaughtUp(ctx context.Context) error {
	gens, err := r.Generations(ctx)
	if err != nil {
		return err
	}
	for _, g := range gens {
		if g.Status == "building" {
			if err := r.trySwitch(ctx, g); err != nil {
				return err
			}
		}
	}
	return nil
}

// trySwitch activates a building generation once, on every partition, it has
// reached at least the active generation's offset (and the log's end when the
// active generation is the one being replaced after a wipe).
func (r *Runner) trySwitch(ctx context.Context, g Generation) error {
	lag, err := r.Lag(ctx, g.Projection, g.Generation)
	if err != nil {
		return err
	}
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('astra_projection:' || $1))`, g.Projection); err != nil {
		return err
	}
	var behind int
	if err := tx.QueryRow(ctx, `
		SELECT count(*) FROM projection_offsets a
		JOIN projection_generations ag ON ag.projection = a.projection AND ag.generation = a.generation AND ag.status = 'active'
		LEFT JOIN projection_offsets b ON b.projection = a.projection AND b.generation = $2 AND b.topic = a.topic AND b.partition = a.partition
		WHERE a.projection = $1 AND coalesce(b.next_offset, 0) < a.next_offset`, g.Projection, g.Generation).Scan(&behind); err != nil {
		return err
	}
	if behind > 0 || lag > r.SwitchLag {
		return nil
	}
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM projection_generations WHERE projection = $1 AND generation = $2`, g.Projection, g.Generation).Scan(&status); err != nil || status != "building" {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE projection_generations SET status = 'retired' WHERE projection = $1 AND status = 'active'`, g.Projection); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE projection_generations SET status = 'active', activated_at = now() WHERE projection = $1 AND generation = $2`, g.Projection, g.Generation); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, "switch|"+g.Projection); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	r.log.Info("projections: switched", "projection", g.Projection, "generation", g.Generation)
	return r.refreshActive(ctx)
}

// DropRetired removes every retired generation of a projection now. For
// `astra replay`, which runs with no server reading them; a running server
// drops them itself once readers had time to move on (dropRetired).
func (r *Runner) DropRetired(ctx context.Context, projection string) (int, error) {
	gens, err := r.Generations(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, g := range gens {
		if g.Projection == projection && g.Status == "retired" {
			if err := r.drop(ctx, g); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// dropRetired removes a retired generation's schema once readers had time to move on.
func (r *Runner) dropRetired(ctx context.Context, g Generation) error {
	var activatedSince time.Duration
	if err := r.pool.QueryRow(ctx, `SELECT extract(epoch FROM now() - coalesce(max(activated_at), now()))::float8 * 1e9
		FROM projection_generations WHERE projection = $1 AND status = 'active'`, g.Projection).Scan((*int64Duration)(&activatedSince)); err != nil {
		return err
	}
	if activatedSince < 10*time.Second {
		return nil
	}
	return r.drop(ctx, g)
}

// drop removes a generation's schema and offsets, and marks it dropped.
func (r *Runner) drop(ctx context.Context, g Generation) error {
	_, err := r.pool.Exec(ctx, `DROP SCHEMA IF EXISTS `+g.Schema+` CASCADE;
		UPDATE projection_generations SET status = 'dropped' WHERE projection = '`+g.Projection+`' AND generation = `+strconv.Itoa(g.Generation)+`;
		DELETE FROM projection_offsets WHERE projection = '`+g.Projection+`' AND generation = `+strconv.Itoa(g.Generation))
	return err
}

type int64Duration time.Duration

func (d *int64Duration) Scan(src any) error {
	f, ok := src.(float64)
	if !ok {
		return fmt.Errorf("unexpected %T", src)
	}
	*d = int64Duration(time.Duration(f))
	return nil
}

// Rebuild starts a new generation of a projection; it fills from offset 0 and
// replaces the active one once caught up, while the active one keeps serving.
func (r *Runner) Rebuild(ctx context.Context, name string) (Generation, error) {
	if _, ok := r.byName[name]; !ok {
		return Generation{}, fmt.Errorf("projections: unknown projection %s", name)
	}
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return Generation{}, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('astra_projection:' || $1))`, name); err != nil {
		return Generation{}, err
	}
	// A rebuild supersedes any rebuild still in progress.
	if _, err := tx.Exec(ctx, `UPDATE projection_generations SET status = 'retired' WHERE projection = $1 AND status = 'building'`, name); err != nil {
		return Generation{}, err
	}
	g, err := r.createGeneration(ctx, tx, name, "building")
	if err != nil {
		return Generation{}, err
	}
	return g, tx.Commit(ctx)
}

func (r *Runner) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := r.listenOnce(ctx, wake)
		if ctx.Err() == nil {
			r.log.Warn("projections: listener", "err", err)
			time.Sleep(time.Second)
		}
	}
}

func (r *Runner) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	conn, err := pgx.ConnectConfig(ctx, r.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return err
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		parts := strings.Split(n.Payload, "|")
		switch parts[0] {
		case "progress":
			// progress|<projection>|<generation>|<topic>/<partition>=<position>;…
			if len(parts) != 4 {
				continue
			}
			gen, _ := strconv.Atoi(parts[2])
			for _, item := range strings.Split(parts[3], ";") {
				tp, pos, ok1 := strings.Cut(item, "=")
				topic, part, ok2 := strings.Cut(tp, "/")
				p, err1 := strconv.Atoi(part)
				at, err2 := strconv.ParseInt(pos, 10, 64)
				if ok1 && ok2 && err1 == nil && err2 == nil {
					r.noteProgress(progressKey{parts[1], gen, topic, int32(p)}, at)
				}
			}
		default:
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	}
}

func (r *Runner) noteProgress(k progressKey, pos int64) {
	r.mu.Lock()
	if pos > r.progress[k] {
		r.progress[k] = pos
		close(r.changed)
		r.changed = make(chan struct{})
	}
	r.mu.Unlock()
}

// WaitFor blocks until the active generation of every named projection has
// applied the given events (read-your-writes), or until timeout; past the
// bound it returns ErrTimeout and the write stays committed.
func (r *Runner) WaitFor(ctx context.Context, timeout time.Duration, evs []eventstore.Event, names ...string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type need struct {
		topic     string
		partition int32
		pos       int64
	}
	var needs []need
	seen := map[string]int{}
	for i := range evs {
		e := &evs[i]
		n, err := r.partitionCount(e.Topic())
		if err != nil {
			return err
		}
		p := eventstore.PartitionFor(e.StreamID, n)
		key := e.Topic() + "/" + strconv.Itoa(int(p))
		if idx, ok := seen[key]; ok {
			needs[idx].pos = max(needs[idx].pos, e.Position)
			continue
		}
		seen[key] = len(needs)
		needs = append(needs, need{e.Topic(), p, e.Position})
	}
	for _, name := range names {
		proj := r.byName[name]
		for _, nd := range needs {
			if !contains(proj.Topics(), nd.topic) {
				continue
			}
			for {
				r.mu.Lock()
				gen := r.active[name].Generation
				k := progressKey{name, gen, nd.topic, nd.partition}
				got, known := r.progress[k]
				ch := r.changed
				r.mu.Unlock()
				if !known || got < nd.pos {
					// Another instance may own the partition: its NOTIFY may have
					// come before we started listening, so read the table too.
					var pos int64
					err := r.pool.QueryRow(ctx, `SELECT last_position FROM projection_offsets
						WHERE projection = $1 AND generation = $2 AND topic = $3 AND partition = $4`,
						name, gen, nd.topic, nd.partition).Scan(&pos)
					if err == nil {
						r.noteProgress(k, pos)
						got = max(got, pos)
					}
				}
				if got >= nd.pos {
					break
				}
				select {
				case <-ch:
				case <-time.After(50 * time.Millisecond):
				case <-ctx.Done():
					return ErrTimeout
				}
			}
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// kafka returns the runner's metadata client, connecting on first use.
func (r *Runner) kafka() (sarama.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil && !r.client.Closed() {
		return r.client, nil
	}
	client, err := sarama.NewClient(r.brokers, eventstore.KafkaConfig("astra-projections"))
	if err != nil {
		return nil, fmt.Errorf("projections: kafka client: %w", err)
	}
	r.client = client
	return client, nil
}

func (r *Runner) partitionCount(topic string) (int32, error) {
	r.mu.Lock()
	n, ok := r.partitions[topic]
	client := r.client
	r.mu.Unlock()
	if ok {
		return n, nil
	}
	if client == nil {
		var err error
		if client, err = r.kafka(); err != nil {
			return 0, err
		}
	}
	ps, err := client.Partitions(topic)
	if err != nil {
		return 0, fmt.Errorf("projections: partitions of %s: %w", topic, err)
	}
	r.mu.Lock()
	r.partitions[topic] = int32(len(ps))
	r.mu.Unlock()
	return int32(len(ps)), nil
}

// PartitionLag is one partition's position against the log's end.
type PartitionLag struct {
	Topic        string `json:"topic"`
	Partition    int32  `json:"partition"`
	NextOffset   int64  `json:"next_offset"`
	HighWater    int64  `json:"high_water_mark"`
	Lag          int64  `json:"lag"`
	LastPosition int64  `json:"last_position"`
}

// Offsets lists a generation's per-partition positions with their lag.
func (r *Runner) Offsets(ctx context.Context, name string, gen int) ([]PartitionLag, error) {
	proj, ok := r.byName[name]
	if !ok {
		return nil, fmt.Errorf("projections: unknown projection %s", name)
	}
	stored := map[string]PartitionLag{}
	rows, err := r.pool.Query(ctx, `SELECT topic, partition, next_offset, last_position FROM projection_offsets
		WHERE projection = $1 AND generation = $2`, name, gen)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var pl PartitionLag
		if err := rows.Scan(&pl.Topic, &pl.Partition, &pl.NextOffset, &pl.LastPosition); err != nil {
			rows.Close()
			return nil, err
		}
		stored[pl.Topic+"/"+strconv.Itoa(int(pl.Partition))] = pl
	}
	rows.Close()
	client, err := r.kafka()
	if err != nil {
		return nil, err
	}
	var out []PartitionLag
	for _, topic := range proj.Topics() {
		ps, err := client.Partitions(topic)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			hw, err := client.GetOffset(topic, p, sarama.OffsetNewest)
			if err != nil {
				return nil, err
			}
			pl := stored[topic+"/"+strconv.Itoa(int(p))]
			pl.Topic, pl.Partition, pl.HighWater = topic, p, hw
			pl.Lag = max(0, hw-pl.NextOffset)
			out = append(out, pl)
		}
	}
	return out, nil
}

// Lag is the total number of records a generation has yet to apply.
func (r *Runner) Lag(ctx context.Context, name string, gen int) (int64, error) {
	offs, err := r.Offsets(ctx, name, gen)
	if err != nil {
		return 0, err
	}
	var lag int64
	for _, o := range offs {
		lag += o.Lag
	}
	return lag, nil
}
