package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/astrabastion/astra/app"
	"github.com/astrabastion/astra/domain/admin"
)

// licenseCmd makes and checks signed licence files (decision 0017).
func licenseCmd() *cobra.Command {
	c := &cobra.Command{Use: "license", Short: "Make and check Ed25519-signed licence files (install one with PUT /api/v1/admin/license)"}
	c.AddCommand(licenseKeygenCmd(), licenseSignCmd(), licenseVerifyCmd())
	return c
}

func licenseKeygenCmd() *cobra.Command {
	var out string
	c := &cobra.Command{Use: "keygen --out FILE",
		Short: "Make a signing key: its private half (base64 seed) goes to FILE (mode 0600), its public half to stdout, for ASTRA_LICENSE_PUBLIC_KEYS",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("license keygen: %w", err)
			}
			if _, err := fmt.Fprintln(f, base64.StdEncoding.EncodeToString(priv.Seed())); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Println(base64.StdEncoding.EncodeToString(pub))
			fmt.Fprintf(os.Stderr, "wrote the private key to %s (mode 0600); key id %s; trust it with ASTRA_LICENSE_PUBLIC_KEYS=%s\n",
				out, admin.KeyID(pub), base64.StdEncoding.EncodeToString(pub))
			return nil
		}}
	c.Flags().StringVar(&out, "out", "", "new file for the private key (must not exist)")
	_ = c.MarkFlagRequired("out")
	return c
}

// readSigningKey reads a private key file of keygen (a base64 seed).
func readSigningKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("license sign: --key: %w", err)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("license sign: --key %s is not a key of `astra license keygen` (a base64 Ed25519 seed)", path)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func licenseSignCmd() *cobra.Command {
	var key, out, expires string
	var l admin.License
	var days int
	c := &cobra.Command{Use: "sign --key FILE --plan PLAN --modules m1,m2 [--days N | --expires DATE]",
		Short: "Sign a licence with a key of `astra license keygen` and write the file (stdout by default)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			priv, err := readSigningKey(key)
			if err != nil {
				return err
			}
			l.IssuedAt = time.Now().UTC().Truncate(time.Second)
			l.ExpiresAt = l.IssuedAt.AddDate(0, 0, days)
			if expires != "" {
				if l.ExpiresAt, err = time.Parse(time.RFC3339, expires); err != nil {
					if l.ExpiresAt, err = time.Parse("2006-01-02", expires); err != nil {
						return fmt.Errorf("license sign: --expires must be a date (2026-12-31) or an RFC 3339 time")
					}
				}
			}
			if l.ID == "" {
				l.ID = fmt.Sprintf("lic-%d", l.IssuedAt.Unix())
			}
			file, err := admin.SignLicense(l, priv)
			if err != nil {
				return err
			}
			if out == "" {
				_, err = fmt.Println(string(file))
				return err
			}
			return os.WriteFile(out, append(file, '\n'), 0o644)
		}}
	f := c.Flags()
	f.StringVar(&key, "key", "", "the private key file (astra license keygen)")
	f.StringVar(&out, "out", "", "write the licence file here instead of stdout")
	f.StringVar(&l.ID, "id", "", "the licence's id (default lic-<unix time>)")
	f.StringVar(&l.Licensee, "licensee", "", "who the licence is for")
	f.StringVar(&l.Plan, "plan", "", "the plan (enterprise, team …)")
	f.IntVar(&l.Seats, "seats", 0, "active users allowed across every tenant (0: unlimited)")
	f.StringSliceVar(&l.Modules, "modules", nil, "the modules licensed, comma-separated (gateway,trust,risk,compliance,…); iam, sso, admin and platform are always on")
	f.IntVar(&days, "days", 365, "days from now until it expires")
	f.StringVar(&expires, "expires", "", "when it expires (a date or an RFC 3339 time; instead of --days)")
	f.IntVar(&l.GraceDays, "grace-days", admin.DefaultGraceDays, "days after expiry during which it still holds, with a warning")
	f.Int64Var(&l.Quotas.RequestsPerMonth, "quota-requests", 0, "each tenant's gateway requests per month (0: none)")
	f.Int64Var(&l.Quotas.TokensPerMonth, "quota-tokens", 0, "each tenant's provider tokens per month (0: none)")
	f.Int64Var(&l.Quotas.StorageBytes, "quota-storage-bytes", 0, "each tenant's storage in bytes (0: none)")
	for _, name := range []string{"key", "plan", "modules"} {
		_ = c.MarkFlagRequired(name)
	}
	return c
}

func licenseVerifyCmd() *cobra.Command {
	return &cobra.Command{Use: "verify FILE",
		Short: "Check a licence file against the keys this configuration trusts (built in, or ASTRA_LICENSE_PUBLIC_KEYS) and print its terms",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return err
			}
			keys, err := app.LicenseKeys(cfg)
			if err != nil {
				return err
			}
			raw, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			now := time.Now()
			l, keyID, err := admin.VerifyLicense(raw, keys, now)
			if err != nil {
				return err
			}
			out, _ := json.MarshalIndent(map[string]any{"license": l, "key_id": keyID, "status": l.Status(now), "grace_ends_at": l.GraceEnds()}, "", "  ")
			fmt.Println(string(out))
			return nil
		}}
}
