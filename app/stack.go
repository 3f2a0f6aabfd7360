package app

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for goose

	"github.com/astrabastion/astra/domain/events"
	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/migrations"
	"github.com/astrabastion/astra/projections"
)

// Stack is the infrastructure every command shares.
type Stack struct {
	Cfg     Config
	Log     *slog.Logger
	Pool    *pgxpool.Pool
	Broker  *eventstore.EmbeddedBroker
	Brokers []string
	KEK     []byte
	Keys    *eventstore.Keyring
	// Records signs relayed records and checks consumed ones (the broker is
	// transport, not a source of truth).
	Records *eventstore.RecordAuth
	Store   *eventstore.Store
	Runner  *projections.Runner
}

// Open creates and migrates the database, starts the embedded broker
// when no cluster is configured, and prepares the store, keyring and runner.
func Open(ctx context.Context, cfg Config, log *slog.Logger, withBroker bool) (*Stack, error) {
	s := &Stack{Cfg: cfg, Log: log}
	if err := EnsureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if err := Migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if cfg.DatabaseMaxConns > 0 {
		pcfg.MaxConns = int32(cfg.DatabaseMaxConns)
	}
	if s.Pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, err
	}
	if err := eventstore.ConfigureKafka(cfg.KafkaSecurity()); err != nil {
		s.Close()
		return nil, err
	}
	if withBroker {
		s.Brokers = cfg.KafkaBrokers
		if len(s.Brokers) == 0 {
			if !eventstore.IsLoopback(cfg.KafkaListen) {
				if !cfg.KafkaListenPublic {
					s.Close()
					return nil, fmt.Errorf("embedded broker: %q is not a loopback address (set ASTRA_KAFKA_LISTEN_PUBLIC=true to allow it)", cfg.KafkaListen)
				}
				log.Warn("THE EMBEDDED KAFKA BROKER LISTENS ON A NON-LOOPBACK ADDRESS WITHOUT AUTHENTICATION: anyone who reaches it reads every event "+
					"(records it did not relay are refused, but fill the topics); prefer 127.0.0.1 or a real cluster with SASL/TLS", "addr", cfg.KafkaListen)
			}
			s.Broker, err = eventstore.StartEmbeddedBroker(filepath.Join(cfg.DataDir, "kafka"), cfg.KafkaListen, cfg.KafkaPartitions, cfg.KafkaSecurity())
			if err != nil {
				s.Close()
				return nil, err
			}
			s.Brokers = []string{s.Broker.Addr()}
			log.Info("embedded Kafka-protocol broker listening", "addr", s.Broker.Addr(), "dir", filepath.Join(cfg.DataDir, "kafka"))
		}
		if err := eventstore.EnsureTopics(s.Brokers, events.Topics(), int32(cfg.KafkaPartitions), int16(cfg.KafkaReplicas)); err != nil {
			s.Close()
			return nil, err
		}
	}
	if s.KEK, err = eventstore.LoadOrCreateKEK(ctx, s.Pool, cfg.MasterKeySource()); err != nil {
		s.Close()
		return nil, err
	}
	if s.Keys, err = eventstore.NewKeyring(s.Pool, s.KEK); err != nil {
		s.Close()
		return nil, err
	}
	// The gateway's monthly content keys seal every principal's prompts: an
	// erased subject's cannot be shredded alone (see Keyring.OpenEvent).
	s.Keys.Shared = gw.IsContentSubject
	s.Records = eventstore.NewRecordAuth(s.Pool, s.KEK)
	s.Store = eventstore.NewStore(s.Pool)
	ps := moduleProjections(&Base{Cfg: cfg, Keys: s.Keys})
	if err := checkSubscriptions(ps); err != nil {
		s.Close()
		return nil, err
	}
	s.Runner = projections.NewRunner(s.Pool, s.Brokers, log, ps...)
	s.Runner.Auth = s.Records
	return s, nil
}

// Close stops the store and broker and closes the pool.
func (s *Stack) Close() {
	if s.Store != nil {
		s.Store.Close()
	}
	if s.Broker != nil {
		s.Broker.Close()
	}
	if s.Pool != nil {
		s.Pool.Close()
	}
}

// DatabaseWait is how long EnsureDatabase waits for a Postgres that is
// starting (connection refused, "starting up") before giving up.
var DatabaseWait = 30 * time.Second

// EnsureDatabase creates the configured database when it does not exist,
// waiting up to DatabaseWait for the server to accept connections. Its
// errors name ASTRA_DATABASE_URL (with the password masked).
func EnsureDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("ASTRA_DATABASE_URL is not a valid URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil
	}
	wrap := func(err error) error {
		return fmt.Errorf("database at ASTRA_DATABASE_URL=%s: %w", u.Redacted(), err)
	}
	deadline := time.Now().Add(DatabaseWait)
	for {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			return conn.Close(ctx)
		}
		if !startingUp(err) {
			admin := *u
			admin.Path = "/postgres"
			aconn, aerr := pgx.Connect(ctx, admin.String())
			if aerr != nil {
				return wrap(err)
			}
			defer aconn.Close(ctx)
			_, cerr := aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
			if cerr != nil && !strings.Contains(cerr.Error(), "already exists") {
				return wrap(fmt.Errorf("create %s: %w", name, errors.Join(err, cerr)))
			}
			return nil
		}
		if time.Now().After(deadline) {
			return wrap(fmt.Errorf("not reachable after %s: %w", DatabaseWait, err))
		}
		select {
		case <-ctx.Done():
			return wrap(ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// startingUp says whether a connection error is one a starting server gives
// (refused, reset, "the database system is starting up").
func startingUp(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "57P03" // cannot_connect_now
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

// Migrate applies the migrations.
func Migrate(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrations.Up(ctx, db)
}
