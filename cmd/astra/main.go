// Command astra is ASTRA BASTION: `serve` runs the API, relay, projections and
// (by default) an embedded Kafka-protocol broker; `migrate`, `replay`, `verify`
// and `bench` operate on the same configuration.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := &cobra.Command{Use: "astra", Short: "ASTRA BASTION — AI trust and security platform", SilenceUsage: true}
	root.AddCommand(serveCmd(), migrateCmd(), replayCmd(), verifyCmd(), eraseSubjectCmd(), benchCmd(), healthCmd(), masterKeyCmd(), docsCmd(), licenseCmd())
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "astra:", err)
		os.Exit(1)
	}
}

func migrateCmd() *cobra.Command {
	return &cobra.Command{Use: "migrate", Short: "Create the database if missing and apply migrations",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			if err := app.EnsureDatabase(cmd.Context(), cfg.DatabaseURL); err != nil {
				return err
			}
			if err := app.Migrate(cmd.Context(), cfg.DatabaseURL); err != nil {
				return err
			}
			fmt.Println("migrations applied")
			return nil
		}}
}

func serveCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the API, relay, projections and live stream (embedded broker by default)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			return app.Serve(cmd.Context(), cfg, app.Options{})
		}}
}
