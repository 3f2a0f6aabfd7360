package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for goose

	"github.com/astrabastion/astra/domain/events"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/migrations"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// stack is the infrastructure every command shares.
type stack struct {
	cfg     Config
	log     *slog.Logger
	pool    *pgxpool.Pool
	broker  *eventstore.EmbeddedBroker
	brokers []string
	kek     []byte
	keys    *eventstore.Keyring
	store   *eventstore.Store
	runner  *projections.Runner
}

// openStack creates and migrates the database, starts the embedded broker
// when no cluster is configured, and prepares the store, keyring and runner.
func openStack(ctx context.Context, cfg Config, log *slog.Logger, withBroker bool) (*stack, error) {
	s := &stack{cfg: cfg, log: log}
	if err := ensureDatabase(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	if err := migrate(ctx, cfg.DatabaseURL); err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database url: %w", err)
	}
	if pcfg.MaxConns < 20 {
		pcfg.MaxConns = 20
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return nil, err
	}
	if withBroker {
		s.brokers = cfg.KafkaBrokers
		if len(s.brokers) == 0 {
			s.broker, err = eventstore.StartEmbeddedBroker(filepath.Join(cfg.DataDir, "kafka"), cfg.KafkaListen, cfg.KafkaPartitions)
			if err != nil {
				s.close()
				return nil, err
			}
			s.brokers = []string{s.broker.Addr()}
			log.Info("embedded Kafka-protocol broker listening", "addr", s.broker.Addr(), "dir", filepath.Join(cfg.DataDir, "kafka"))
		}
		if err := eventstore.EnsureTopics(s.brokers, events.Topics(), int32(cfg.KafkaPartitions), int16(cfg.KafkaReplicas)); err != nil {
			s.close()
			return nil, err
		}
	}
	if s.kek, err = eventstore.LoadOrCreateKEK(ctx, s.pool, cfg.MasterKey); err != nil {
		s.close()
		return nil, err
	}
	if s.keys, err = eventstore.NewKeyring(s.pool, s.kek); err != nil {
		s.close()
		return nil, err
	}
	s.store = eventstore.NewStore(s.pool)
	s.runner = projections.NewRunner(s.pool, s.brokers, log, &rmiam.Projection{Keys: s.keys})
	return s, nil
}

func (s *stack) close() {
	if s.store != nil {
		s.store.Close()
	}
	if s.broker != nil {
		s.broker.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
}

// ensureDatabase creates the configured database when it does not exist.
func ensureDatabase(ctx context.Context, dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("database url: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return nil
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		return conn.Close(ctx)
	}
	admin := *u
	admin.Path = "/postgres"
	aconn, aerr := pgx.Connect(ctx, admin.String())
	if aerr != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer aconn.Close(ctx)
	_, cerr := aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if cerr != nil && !strings.Contains(cerr.Error(), "already exists") {
		return fmt.Errorf("database: create %s: %w", name, errors.Join(err, cerr))
	}
	return nil
}

func migrate(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrations.Up(ctx, db)
}
