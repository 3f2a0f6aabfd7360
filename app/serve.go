package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/labstack/echo/v4"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	cmdtrust "github.com/astrabastion/astra/commands/trust"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/http/auth"
	httpiam "github.com/astrabastion/astra/http/iam"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/ratelimit"
	"github.com/astrabastion/astra/http/server"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/http/ws"
	"github.com/astrabastion/astra/projections/authstore"
	rmiam "github.com/astrabastion/astra/projections/iam"
	"github.com/astrabastion/astra/projections/idempotency"
	"github.com/astrabastion/astra/projections/stream"
	"github.com/astrabastion/astra/reactors"
)

// Running is a started instance, handed to Options.OnReady (tests use it).
type Running struct {
	Addr     string
	Stack    *Stack
	Commands *cmdiam.Handlers
	Relay    *eventstore.Relay
	Hub      *ws.Hub
	Signer   *auth.Signer
	Auth     *auth.Authenticator
	// Trust recalculates scores; tests set its clock.
	Trust *cmdtrust.Handlers
	// Gateway is the gateway runtime.
	Gateway  *gateway.Runtime
	Echo     *echo.Echo
	Registry *platform.Registry
}

// Options tune Serve.
type Options struct {
	// OnReady is called once the API listens.
	OnReady func(*Running)
	// Logger replaces the configured logger.
	Logger *slog.Logger
}

// Serve runs the whole product until ctx ends: API, relay, projections, live
// stream and, without ASTRA_KAFKA_BROKERS, the embedded broker.
func Serve(ctx context.Context, cfg Config, opts Options) error {
	log := opts.Logger
	if log == nil {
		log = NewLogger(cfg.LogLevel)
	}
	tuneGC(cfg)
	// What this instance loads (revocations, caches) is current as of now;
	// its EveryInstance reactors consume the log from here.
	started := time.Now()
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return err
	}
	st, err := Open(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer st.Close()
	if msg := masterKeyWarning(cfg); msg != "" {
		log.Warn(msg, "master_key_origin", cfg.MasterKeySource().Origin())
	}

	signer, err := auth.LoadSigner(ctx, st.Pool, st.KEK, cfg.JWTIssuer, cfg.JWTAudience)
	if err != nil {
		return err
	}
	if err := st.Runner.Init(ctx); err != nil {
		return err
	}
	commands := cmdiam.NewHandlers(st.Store, st.Keys, st.KEK)
	commands.Throttle = authstore.Throttle{DB: st.Pool}
	commands.PasswordCost = cfg.PasswordCost
	boot, err := bootstrap(ctx, cfg, commands, log)
	if err != nil {
		return err
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	relay := eventstore.NewRelay(st.Pool, st.Brokers, log)
	relay.Auth = st.Records
	st.Store.AttachRelay(relay)
	revocations, err := auth.LoadRevocations(ctx, st.Pool)
	if err != nil {
		return fmt.Errorf("revocations: %w", err)
	}
	queries := &rmiam.Queries{Runner: st.Runner}
	// What a user may do now: every credential is narrowed to it on every
	// request, from memory kept current by the IAM module's reactors (on this
	// process's own commits before they answer, and from the log for the
	// other instances' commits).
	principals := &auth.Principals{Resolve: func(ctx context.Context, userID string) (auth.UserAccess, error) {
		a, err := commands.CurrentAccess(ctx, userID)
		return auth.UserAccess{TenantID: a.TenantID, Roles: a.Roles, Active: a.Active, Permissions: a.Permissions}, err
	}}
	authn := &auth.Authenticator{Signer: signer, Revocations: revocations, Principals: principals}
	authn.APIKeys = (&httpiam.KeyResolver{Queries: queries, Revocations: revocations}).Resolve
	src := stream.NewSource(st.Pool, st.Keys)
	src.Records = st.Records
	hub := ws.NewHub(src, authn, log)
	hub.SetCaps(cfg.WSMaxPatterns, cfg.WSMaxConnectionsPerPrincipal)
	revocations.OnRevoked = hub.Revoke
	principals.OnChanged = hub.Reauthorize
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
	background("projections", st.Runner.Run)
	background("live stream", func(ctx context.Context) error { return hub.Run(ctx, st.Brokers) })
	if cfg.DebugAddr != "" {
		background("profiler", func(ctx context.Context) error { serveDebug(ctx, cfg.DebugAddr, log); return nil })
	}
	background("keyring listener", func(ctx context.Context) error { st.Keys.Listen(ctx); return nil })

	if boot != nil {
		// The first admin can sign in only once the users read model has them.
		if err := st.Runner.WaitFor(runCtx, time.Minute, boot.Events, rmiam.Name); err != nil {
			log.Warn("bootstrap admin not yet in the read model", "err", err)
		}
	}
	kit := &writes.Kit{Store: idempotency.New(st.Pool), Runner: st.Runner, Timeout: cfg.ReadYourWrites, HashKey: writes.DeriveHashKey(st.KEK)}
	background("idempotency sweep", func(ctx context.Context) error { kit.Sweep(ctx, 10*time.Minute); return nil })

	// Every module, from its descriptor: routes, workers, reactors.
	rt := &Runtime{Cfg: cfg, Log: log, Stack: st, Writes: kit, IAM: commands, Signer: signer, Auth: authn, Relay: relay, Hub: hub}
	parts, err := startModules(ctx, rt)
	if err != nil {
		return err
	}
	defer func() {
		for _, p := range parts {
			if p.Close != nil {
				p.Close()
			}
		}
	}()
	host := &reactors.Host{Brokers: st.Brokers, Log: log, Auth: st.Records, Instance: cfg.HTTPAddr, DeadLetter: reactorDeadLetter(st), Since: started}
	var routes []platform.Route
	collectors := append(append(append(st.Store.Collectors(), relay.Collectors()...), hub.Collectors()...), st.Runner.Collectors()...)
	for _, p := range parts {
		routes = append(routes, p.Routes...)
		collectors = append(collectors, p.Collectors...)
		host.Add(p.Reactors...)
		for _, w := range p.Workers {
			background(w.Name, w.Run)
		}
	}
	st.Store.Observe(host.Local)
	background("reactors", host.Run)
	rateGuard, closeRedis, err := newRateGuard(cfg, queries, log)
	if err != nil {
		return err
	}
	defer closeRedis()
	attachRateGuard(rt, rateGuard)
	collectors = append(collectors, ratelimit.Collectors()...)
	e, reg := server.New(server.Deps{
		Version: Version, BodyLimit: cfg.BodyLimit, Logger: log, Auth: authn,
		Hub: hub, Collectors: collectors, RateLimit: rateGuard, Idempotency: kit.Idempotent(), Routes: routes,
		Entitled: entitled(rt),
	})

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("ASTRA_HTTP_ADDR=%s is in use by another process: stop it or choose another address: %w", cfg.HTTPAddr, err)
		}
		return fmt.Errorf("ASTRA_HTTP_ADDR=%s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	releaseStartupMemory()
	log.Info("ASTRA BASTION serving", "addr", ln.Addr().String(), "version", Version, "brokers", st.Brokers)
	if opts.OnReady != nil {
		opts.OnReady(&Running{Addr: ln.Addr().String(), Stack: st, Commands: commands, Relay: relay, Hub: hub,
			Signer: signer, Auth: authn, Echo: e, Registry: reg, Trust: rt.services["trust"].(*cmdtrust.Handlers),
			Gateway: rt.services["gateway"].(*gateway.Runtime)})
	}
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

// BootstrapPasswordFile is where the first start writes the generated
// platform admin password (mode 0600, under the data directory), instead of
// printing a secret among the logs.
const BootstrapPasswordFile = "bootstrap-admin-password"

// bootstrap creates the first tenant and platform admin on the first start.
// A generated password is written once to BootstrapPasswordFile, and the log
// says where.
func bootstrap(ctx context.Context, cfg Config, commands *cmdiam.Handlers, log *slog.Logger) (*cmdiam.CreatedTenant, error) {
	password := cfg.BootstrapPass
	generated := password == ""
	var file string
	if generated {
		b := make([]byte, 18)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		password = base64.RawURLEncoding.EncodeToString(b)
	}
	res, err := commands.Bootstrap(ctx, cfg.BootstrapTenant, cfg.BootstrapEmail, password)
	if errors.Is(err, cmdiam.ErrAlreadyBootstrapped) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if generated {
		file = filepath.Join(cfg.DataDir, BootstrapPasswordFile)
		if err := os.WriteFile(file, []byte(password+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("bootstrap: write the generated admin password to %s: %w", file, err)
		}
		if err := os.Chmod(file, 0o600); err != nil { // WriteFile keeps an existing file's mode
			return nil, err
		}
	}
	log.Info("bootstrap: created the first tenant and its platform admin", "tenant", cfg.BootstrapTenant, "tenant_id", res.TenantID,
		"admin", cfg.BootstrapEmail, "generated_password_file", file)
	return res, nil
}

// masterKeyWarning is what serve says when the master key is kept in the
// database it protects outside a loopback-only setup: whoever reads a backup
// or a replica of that database can then unwrap every sealed field.
func masterKeyWarning(cfg Config) string {
	if cfg.MasterKeySource().External() || cfg.LoopbackOnly() {
		return ""
	}
	return "SECURITY: no master key is configured, so the key that unwraps every sealed field is kept in the same Postgres " +
		"as what it protects, and this setup is reachable beyond loopback. Set ASTRA_MASTER_KEY_FILE or ASTRA_MASTER_KEY_COMMAND " +
		"(move the generated key out with `astra master-key export --file PATH`); see README, Production"
}
