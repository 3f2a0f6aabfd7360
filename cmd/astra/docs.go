package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
)

// docsCmd prints documents generated from the module descriptors.
func docsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "docs", Short: "Print documents generated from the module descriptors"}
	cmd.AddCommand(&cobra.Command{Use: "errors", Short: "The API error catalogue (docs/errors.md)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), app.ErrorDocs())
			return err
		}})
	return cmd
}
