package main

import (
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
)

// healthCmd probes the local instance's readiness; container health checks use
// it because the image has no shell or curl.
func healthCmd() *cobra.Command {
	return &cobra.Command{Use: "health", Short: "Exit 0 when the local instance is ready (for container health checks)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			host, port, err := net.SplitHostPort(cfg.HTTPAddr)
			if err != nil {
				return err
			}
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			client := &http.Client{Timeout: 3 * time.Second}
			resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/api/v1/admin/health/ready")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("not ready: %s", resp.Status)
			}
			return nil
		}}
}
