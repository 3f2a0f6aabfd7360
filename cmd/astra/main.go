// Command astra is ASTRA BASTION: `serve` runs the API, relay, projections and
// (by default) an embedded Kafka-protocol broker; `migrate`, `replay`, `verify`
// and `bench` operate on the same configuration.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Errors are printed once, here (SilenceErrors keeps cobra from printing them too).
	root := &cobra.Command{Use: "astra", Short: "ASTRA BASTION — AI trust and security platform", SilenceUsage: true, SilenceErrors: true,
		Version: app.Version}
	root.AddCommand(versionCmd(), serveCmd(), migrateCmd(), replayCmd(), verifyCmd(), eraseSubjectCmd(), benchCmd(), healthCmd(), masterKeyCmd(), docsCmd(), licenseCmd())
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

// versionCmd prints the version, the commit it was built from and the Go release.
func versionCmd() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version", Args: cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "astra %s (%s, %s)\n", app.Version, app.Revision(), runtime.Version())
		}}
}

func serveCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the API, relay, projections and live stream (embedded broker by default)",
		Long: "Run the API, relay, projections and live stream (embedded broker by default).\n\n" +
			"Configured by these environment variables (default in brackets; see the README):\n" + app.ConfigHelp(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			return app.Serve(cmd.Context(), cfg, app.Options{})
		}}
}
