package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/projections"
)

func verifyCmd() *cobra.Command {
	var tenant string
	var asJSON, skipTopics bool
	c := &cobra.Command{Use: "verify", Short: "Verify the hash chain and version continuity of every stream, and that the topics hold exactly the ledger's events (exit 1 on a break)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			log := app.NewLogger("warn")
			st, err := app.Open(cmd.Context(), cfg, log, false)
			if err != nil {
				return err
			}
			defer st.Close()
			start := time.Now()
			rep, err := eventstore.Verify(cmd.Context(), st.Pool, tenant)
			if err != nil {
				return err
			}
			if tenant == "" && !skipTopics {
				brokers, stop, err := verifyBrokers(cfg)
				if err != nil {
					return err
				}
				err = eventstore.VerifyTopics(cmd.Context(), st.Pool, brokers, rep)
				stop()
				if err != nil {
					return err
				}
			}
			if asJSON {
				_ = json.NewEncoder(os.Stdout).Encode(rep)
			} else {
				fmt.Printf("checked %d events in %d streams (head %d) and %d broker records in %s\n", rep.EventsChecked, rep.StreamsChecked, rep.Head,
					rep.RecordsChecked, time.Since(start).Round(time.Millisecond))
				for _, b := range rep.Breaks {
					fmt.Printf("BREAK stream=%s version=%d position=%d: %s\n", b.StreamID, b.Version, b.Position, b.Problem)
				}
			}
			if !rep.OK {
				fmt.Fprintf(os.Stderr, "verify: %d break(s) found\n", len(rep.Breaks))
				os.Exit(1)
			}
			if !asJSON {
				fmt.Println("OK: every hash chain verifies and the topics hold exactly the ledger's events")
			}
			return nil
		}}
	c.Flags().StringVar(&tenant, "tenant", "", "verify one tenant's streams only")
	c.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	c.Flags().BoolVar(&skipTopics, "skip-topics", false, "check the ledger only, not the broker's topics")
	return c
}

// verifyBrokers finds the broker whose topics verify compares with the
// ledger: the configured cluster, the embedded broker of a running `astra
// serve` (at ASTRA_KAFKA_LISTEN), or the embedded broker started here on
// the data directory when none runs. stop releases what was started.
func verifyBrokers(cfg app.Config) ([]string, func(), error) {
	if len(cfg.KafkaBrokers) > 0 {
		return cfg.KafkaBrokers, func() {}, nil
	}
	if conn, err := net.DialTimeout("tcp", cfg.KafkaListen, time.Second); err == nil {
		conn.Close()
		return []string{cfg.KafkaListen}, func() {}, nil
	}
	b, err := eventstore.StartEmbeddedBroker(filepath.Join(cfg.DataDir, "kafka"), cfg.KafkaListen, cfg.KafkaPartitions, cfg.KafkaSecurity())
	if err != nil {
		return nil, nil, fmt.Errorf("verify: broker: %w", err)
	}
	return []string{b.Addr()}, b.Close, nil
}

func replayCmd() *cobra.Command {
	var all bool
	c := &cobra.Command{Use: "replay [projection...]", Short: "Rebuild projections from the Kafka log into new tables, then switch to them",
		Long: "Rebuild projections from the Kafka log into new tables, then switch to them (stop astra serve first).\n\n" +
			"Projections: " + strings.Join(app.ProjectionNames(), ", ") + ".",
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			return replay(cmd.Context(), cfg, args, all)
		}}
	c.Flags().BoolVar(&all, "all", false, "rebuild every projection")
	return c
}

func replay(ctx context.Context, cfg app.Config, names []string, all bool) error {
	log := app.NewLogger("warn")
	if serving(cfg.HTTPAddr) {
		return fmt.Errorf("replay: astra serve is running (it answers on ASTRA_HTTP_ADDR=%s): stop astra serve first", cfg.HTTPAddr)
	}
	st, err := app.Open(ctx, cfg, log, true)
	if errors.Is(err, eventstore.ErrBrokerDirInUse) {
		return fmt.Errorf("replay: stop astra serve first (%w)", err)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	if all || len(names) == 0 {
		names = st.Runner.Names()
	}
	for _, n := range names {
		if _, ok := st.Runner.Projection(n); !ok {
			return fmt.Errorf("replay: unknown projection %q (have %v)", n, st.Runner.Names())
		}
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Drain the relay first so that the Kafka log holds every committed event.
	relay := eventstore.NewRelay(st.Pool, st.Brokers, log)
	relay.Auth = st.Records
	st.Store.AttachRelay(relay)
	go relay.Run(runCtx) //nolint:errcheck
	if err := waitRelayed(runCtx, st); err != nil {
		return err
	}
	st.Runner.SwitchLag = 0
	if err := st.Runner.Init(ctx); err != nil {
		return err
	}
	gens := map[string]projections.Generation{}
	for _, n := range names {
		g, err := st.Runner.Rebuild(ctx, n)
		if err != nil {
			return err
		}
		gens[n] = g
	}
	runnerDone := make(chan struct{})
	go func() {
		defer close(runnerDone)
		_ = st.Runner.Run(runCtx)
	}()
	// Stop the runner before the broker closes, so that its workers leave their
	// consumer groups: members left behind stall the next `astra serve`.
	defer func() { cancel(); <-runnerDone }()
	for _, n := range names {
		if err := followRebuild(runCtx, st.Runner, gens[n]); err != nil {
			return err
		}
	}
	for _, n := range names {
		dropped, err := st.Runner.DropRetired(ctx, n)
		if err != nil {
			return fmt.Errorf("replay: remove the retired generations of %s: %w", n, err)
		}
		if dropped > 0 {
			fmt.Fprintf(os.Stderr, "removed %d retired generation(s) of %s\n", dropped, n)
		}
	}
	return reportDeadLetters(ctx, st.Runner, names, gens)
}

// serving says whether an astra serve answers its health check at addr.
func serving(addr string) bool {
	client := http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + addr + "/api/v1/admin/health")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// reportDeadLetters lists, at the end of a replay, the records each rebuilt
// generation quarantined instead of applying (the replay skipped them; see
// GET /api/v1/admin/projections/dead-letters).
func reportDeadLetters(ctx context.Context, r *projections.Runner, names []string, gens map[string]projections.Generation) error {
	for _, n := range names {
		g := gens[n]
		p := projections.PageRequest{Limit: 200}
		for first := true; ; first = false {
			page, err := r.DeadLetters(ctx, projections.DeadLetterFilter{Projection: n, Generation: g.Generation}, p)
			if err != nil {
				return err
			}
			if first && page.Total > 0 {
				fmt.Fprintf(os.Stderr, "replay %s: %d record(s) dead-lettered (skipped) in generation %d:\n", n, page.Total, g.Generation)
			}
			for _, d := range page.Items {
				id := "-"
				if d.EventID != nil {
					id = *d.EventID
				}
				var pos int64
				if d.Position != nil {
					pos = *d.Position
				}
				fmt.Fprintf(os.Stderr, "DEAD LETTER projection=%s reason=%q event=%s type=%s tenant=%s stream=%s position=%d record=%s/%d@%d: %s\n",
					n, d.Reason, id, d.EventType, d.TenantID, d.StreamID, pos, d.Topic, d.Partition, d.Offset, d.Error)
			}
			if !page.HasMore {
				break
			}
			p.After = page.Next
		}
	}
	return nil
}

func waitRelayed(ctx context.Context, st *app.Stack) error {
	for {
		head, err := st.Store.Head(ctx)
		if err != nil {
			return err
		}
		cp, err := eventstore.Checkpoint(ctx, st.Pool)
		if err != nil {
			return err
		}
		if cp >= head {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// followRebuild shows a progress bar until the generation is active.
func followRebuild(ctx context.Context, r *projections.Runner, g projections.Generation) error {
	start := time.Now()
	var bar *progressbar.ProgressBar
	var done int64
	for {
		offs, err := r.Offsets(ctx, g.Projection, g.Generation)
		if err != nil && ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		var total int64
		done = 0
		for _, o := range offs {
			total += o.HighWater
			done += o.NextOffset
		}
		if bar == nil && total > 0 {
			// The rate is the replay's own (events since it started over the
			// time since it started), as in the summary: the bar's would count
			// the events already applied before it was drawn as instant.
			bar = progressbar.NewOptions64(total, progressbar.OptionSetDescription("replay "+g.Projection),
				progressbar.OptionSetWriter(os.Stderr), progressbar.OptionShowCount(), progressbar.OptionThrottle(200*time.Millisecond))
		}
		if bar != nil {
			bar.Describe(fmt.Sprintf("replay %s (%.0f events/s)", g.Projection, float64(done)/time.Since(start).Seconds()))
			_ = bar.Set64(done)
		}
		if err := r.SwitchIfCaughtUp(ctx); err != nil {
			return err
		}
		gens, err := r.Generations(ctx)
		if err != nil {
			return err
		}
		for _, x := range gens {
			if x.Projection == g.Projection && x.Generation == g.Generation && x.Status == "active" {
				if bar != nil {
					_ = bar.Finish()
				}
				secs := time.Since(start).Seconds()
				fmt.Fprintf(os.Stderr, "\nreplayed %s: %d events in %.2fs (%.0f events/s), generation %d is live\n",
					g.Projection, done, secs, float64(done)/secs, g.Generation)
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return errors.New("replay interrupted")
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func eraseSubjectCmd() *cobra.Command {
	var tenant, email string
	c := &cobra.Command{Use: "erase-user USER_ID", Short: "Crypto-shred a user's personal data (internal; the DSAR endpoint supersedes it)",
		Args: cobra.ExactArgs(1), Hidden: false,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			st, err := app.Open(cmd.Context(), cfg, app.NewLogger("warn"), false)
			if err != nil {
				return err
			}
			defer st.Close()
			h := cmdiam.NewHandlers(st.Store, st.Keys, st.KEK)
			evs, err := h.EraseUser(cmd.Context(), eventstore.Metadata{TenantID: tenant, Actor: "system:erase-user"}, args[0], email)
			if err != nil {
				return err
			}
			fmt.Printf("erased user %s (%d events appended)\n", args[0], len(evs))
			return nil
		}}
	c.Flags().StringVar(&tenant, "tenant", "", "tenant id of the user (required)")
	c.Flags().StringVar(&email, "email", "", "the user's e-mail address, to release its claim")
	_ = c.MarkFlagRequired("tenant")
	return c
}

func benchCmd() *cobra.Command {
	c := &cobra.Command{Use: "bench", Short: "Benchmarks: `astra bench gateway`; the others are Go benchmarks (see README, Benchmarks)"}
	c.AddCommand(benchGatewayCmd())
	return c
}
