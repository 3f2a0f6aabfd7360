package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/eventstore"
)

func masterKeyCmd() *cobra.Command {
	c := &cobra.Command{Use: "master-key", Short: "Manage where the master key (the key-encryption key) is kept"}
	var file string
	var keep bool
	export := &cobra.Command{Use: "export --file PATH",
		Short: "Move the master key generated into the database out of it, into a new file (then set ASTRA_MASTER_KEY_FILE)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			if cfg.MasterKeySource().External() {
				return fmt.Errorf("master-key export: unset ASTRA_MASTER_KEY, ASTRA_MASTER_KEY_FILE and ASTRA_MASTER_KEY_COMMAND: the key to export is the one in the database")
			}
			st, err := app.Open(cmd.Context(), cfg, app.NewLogger("warn"), false)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := eventstore.ExportKEK(cmd.Context(), st.Pool, file, keep); err != nil {
				return err
			}
			if keep {
				fmt.Printf("wrote the master key to %s (mode 0600); the database still holds it (--keep-in-database)\n", file)
			} else {
				fmt.Printf("moved the master key to %s (mode 0600) and removed it from the database; start every instance with ASTRA_MASTER_KEY_FILE=%s (or the same key from a KMS command)\n", file, file)
			}
			return nil
		}}
	export.Flags().StringVar(&file, "file", "", "new file to write the base64 key to (must not exist)")
	export.Flags().BoolVar(&keep, "keep-in-database", false, "write the file but leave the key in the database too")
	_ = export.MarkFlagRequired("file")
	c.AddCommand(export)
	return c
}
