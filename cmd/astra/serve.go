package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/http/admin"
	"github.com/astrabastion/astra/http/auth"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/http/server"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/http/ws"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

func serveCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the API, relay, projections and live stream (embedded broker by default)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), cfg)
		}}
}

func serve(ctx context.Context, cfg Config) error {
	log := newLogger(cfg.LogLevel)
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return err
	}
	st, err := openStack(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer st.close()

	signer, err := auth.LoadSigner(ctx, st.pool, st.kek, cfg.JWTIssuer, cfg.JWTAudience)
	if err != nil {
		return err
	}
	if err := st.runner.Init(ctx); err != nil {
		return err
	}
	commands := cmdiam.NewHandlers(st.store, st.keys, st.kek)
	if err := bootstrap(ctx, cfg, commands); err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	relay := eventstore.NewRelay(st.pool, st.brokers, log)
	hub := ws.NewHub(st.pool, st.keys, signer, log)
	var wg sync.WaitGroup
	background := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(runCtx); err != nil && runCtx.Err() == nil {
				log.Error(name+" stopped", "err", err)
				cancel()
			}
		}()
	}
	background("relay", relay.Run)
	background("projections", st.runner.Run)
	background("live stream", func(ctx context.Context) error { return hub.Run(ctx, st.brokers) })
	background("keyring listener", func(ctx context.Context) error { st.keys.Listen(ctx); return nil })

	kit := &writes.Kit{Pool: st.pool, Runner: st.runner, Timeout: cfg.ReadYourWrites}
	queries := &rmiam.Queries{Runner: st.runner}
	collectors := append(append(st.store.Collectors(), relay.Collectors()...), hub.Collectors()...)
	e, _ := server.New(server.Deps{
		Version: version, BodyLimit: cfg.BodyLimit, Logger: log, Signer: signer,
		IAM:   &httpiam.API{Commands: commands, Queries: queries, Signer: signer, Writes: kit},
		Admin: &admin.API{Pool: st.pool, Runner: st.runner, Relay: relay, Keys: st.keys, Brokers: st.brokers,
			Version: version, Started: time.Now(), Instance: cfg.HTTPAddr},
		Hub: hub, Collectors: collectors,
	})
	_ = prometheus.DefaultRegisterer

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	log.Info("ASTRA BASTION serving", "addr", ln.Addr().String(), "version", version, "brokers", st.brokers)
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCertFile != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case <-runCtx.Done():
	case err = <-errc:
	}
	shutdownCtx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	_ = srv.Shutdown(shutdownCtx)
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("ASTRA BASTION stopped")
	return err
}

// bootstrap creates the first tenant and platform admin on the first start.
func bootstrap(ctx context.Context, cfg Config, commands *cmdiam.Handlers) error {
	password := cfg.BootstrapPass
	generated := password == ""
	if generated {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	res, err := commands.Bootstrap(ctx, cfg.BootstrapTenant, cfg.BootstrapEmail, password)
	if errors.Is(err, cmdiam.ErrAlreadyBootstrapped) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	fmt.Fprintf(os.Stderr, "\nBootstrap: tenant %q (%s), platform admin %s\n", cfg.BootstrapTenant, res.TenantID, cfg.BootstrapEmail)
	if generated {
		fmt.Fprintf(os.Stderr, "Generated admin password (shown once): %s\n\n", password)
	}
	return nil
}
