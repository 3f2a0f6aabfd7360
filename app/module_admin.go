package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	cmdadmin "github.com/astrabastion/astra/commands/admin"
	"github.com/astrabastion/astra/domain/admin"
	httpadmin "github.com/astrabastion/astra/http/admin"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/ratelimit"
	rmcmp "github.com/astrabastion/astra/projections/compliance"
	rmgw "github.com/astrabastion/astra/projections/gateway"
	rmiam "github.com/astrabastion/astra/projections/iam"
	"github.com/astrabastion/astra/projections/ops"
	"github.com/astrabastion/astra/reactors"
	rxadmin "github.com/astrabastion/astra/reactors/admin"
)

// adminService is what the admin module exports to the others and to the
// composition root: the flags that gate the product's features, the
// licence's entitlement check, and the settings in force.
type adminService struct {
	flags     *admin.FlagSet
	licensing *admin.Licensing
	settings  *liveSettings
}

// LicenseKeys are the public keys licences are verified with: the
// configured ones (ASTRA_LICENSE_PUBLIC_KEYS) instead of the built-in ones.
func LicenseKeys(cfg Config) ([]ed25519.PublicKey, error) {
	if len(cfg.LicensePublicKeys) > 0 {
		keys, err := admin.ParsePublicKeys(cfg.LicensePublicKeys)
		if err != nil {
			return nil, fmt.Errorf("ASTRA_LICENSE_PUBLIC_KEYS: %w", err)
		}
		if len(keys) > 0 {
			return keys, nil
		}
	}
	return admin.ParsePublicKeys(admin.BuiltinLicenseKeys)
}

// Administration: health, projections, the audit trail, the event ledger,
// and the platform's own administration (run-time settings, feature flags,
// the licence, tenants' usage). It starts first: the others consult its
// flags, and the route mounting its licence.
func init() {
	register(Module{
		Name: "admin",
		Tags: map[string]string{
			"admin": "Operations and administration: health, version, projections and rebuilds, event-store statistics, the audit trail, run-time configuration, feature flags (and OFREP), the licence, tenants' usage.",
		},
		Order: 5,
		Errors: platform.Codes{
			"ADM-001": platform.Entry(http.StatusNotFound, "Projection not found", "No read-model projection with that name exists."),
			"ADM-002": platform.Entry(http.StatusNotFound, "Feature flag not found", "No feature flag with that key exists (OFREP answers FLAG_NOT_FOUND)."),
			"ADM-003": platform.Entry(http.StatusUnprocessableEntity, "Setting requires a restart", "The setting is read once at start: change its environment variable and restart every instance. `errors[]` names it."),
			"ADM-004": platform.Entry(http.StatusUnprocessableEntity, "Unknown setting", "The key names no setting; `GET /api/v1/admin/config` lists them. `errors[]` names it."),
			"ADM-005": platform.Entry(http.StatusUnprocessableEntity, "Invalid setting", "The value is not one the setting takes (type, range, enumeration), or the change names no setting. `errors[]` names it."),
			"ADM-006": platform.Entry(http.StatusConflict, "Feature flag exists", "A feature flag with that key exists; change it (PATCH) or delete it first."),
			"ADM-007": platform.Entry(http.StatusUnprocessableEntity, "Invalid feature flag", "The flag's definition is inconsistent (variants of another type, a rule or rollout naming an unknown variant, weights not adding up to 100 …); `errors[]` names the field."),
			"ADM-008": platform.Entry(http.StatusBadRequest, "Invalid evaluation context", "The OFREP evaluation context is not valid (targetingKey must be a string); OFREP answers INVALID_CONTEXT."),
			"ADM-009": platform.Entry(http.StatusBadRequest, "Targeting key missing", "The flag splits by percentage and the OFREP context has no targetingKey; OFREP answers TARGETING_KEY_MISSING."),
			"LIC-001": platform.Entry(http.StatusForbidden, "Module not licensed", "The installed licence does not include this route's module. Install a licence that does (`PUT /api/v1/admin/license`); without a licence, or once it expired past its grace period, every module serves."),
			"LIC-002": platform.Entry(http.StatusUnprocessableEntity, "Licence signature invalid", "The licence's Ed25519 signature does not verify against a trusted public key (built in, or `ASTRA_LICENSE_PUBLIC_KEYS`): it was changed, or signed by another key."),
			"LIC-003": platform.Entry(http.StatusUnprocessableEntity, "Not a licence file", "The body is not a licence file of format `astra-license/1` (payload and signature in base64)."),
			"LIC-004": platform.Entry(http.StatusUnprocessableEntity, "Invalid licence terms", "The signed terms lack an id, plan, modules or dates, or hold values out of range."),
			"LIC-005": platform.Entry(http.StatusUnprocessableEntity, "Licence expired", "The licence expired and its grace period ended; it cannot be installed."),
			"LIC-006": platform.Entry(http.StatusUnprocessableEntity, "Licence not yet valid", "The licence is issued for a later date."),
		},
		DomainErrors: []platform.DomainError{
			{Err: ops.ErrBrokerUnavailable, Code: "SYS-002", Detail: "The broker is unavailable."},
			{Err: admin.ErrFlagNotFound, Code: "ADM-002", Detail: "No feature flag with that key."},
			{Err: admin.ErrRestartRequired, Code: "ADM-003"},
			{Err: admin.ErrUnknownSetting, Code: "ADM-004"},
			{Err: admin.ErrInvalidSetting, Code: "ADM-005"},
			{Err: admin.ErrNoChange, Code: "ADM-005", Detail: "The change names no setting."},
			{Err: admin.ErrFlagExists, Code: "ADM-006", Detail: "A feature flag with that key exists."},
			{Err: admin.ErrInvalidFlag, Code: "ADM-007"},
			{Err: admin.ErrModuleNotLicensed, Code: "LIC-001"},
			{Err: admin.ErrLicenseSignature, Code: "LIC-002", Detail: "The licence signature does not verify against a trusted key."},
			{Err: admin.ErrLicenseMalformed, Code: "LIC-003"},
			{Err: admin.ErrLicenseInvalid, Code: "LIC-004"},
			{Err: admin.ErrLicenseExpired, Code: "LIC-005"},
			{Err: admin.ErrLicenseNotYetValid, Code: "LIC-006"},
		},
		Start: func(ctx context.Context, rt *Runtime) (*Parts, error) {
			st := rt.Stack
			keys, err := LicenseKeys(rt.Cfg)
			if err != nil {
				return nil, err
			}
			commands := &cmdadmin.Handlers{Store: st.Store, LicenseKeys: keys}
			// The administration as the ledger holds it; the reactor keeps it
			// current from the log from the instance's start on.
			state, err := commands.LoadState(ctx)
			if err != nil {
				return nil, fmt.Errorf("admin state: %w", err)
			}
			flags, licensing := admin.NewFlagSet(), &admin.Licensing{}
			for _, r := range state.Flags {
				flags.Apply(&r.Change, r.CreatedAt, r.UpdatedAt, r.UpdatedBy)
			}
			if state.License != nil {
				licensing.Install(state.License, state.LicenseVersion, state.LicenseAt, state.LicenseBy)
			}
			settings := &liveSettings{cfg: rt.Cfg, hub: rt.Hub, kit: rt.Writes, log: rt.Log, addr: rt.Cfg.HTTPAddr}
			settings.Apply(state.SettingsVersion, state.Settings)
			var modules []string
			for _, m := range Modules() {
				if m.Start != nil {
					modules = append(modules, m.Name)
				}
			}
			q := &ops.Queries{Pool: st.Pool, Runner: st.Runner, Relay: rt.Relay, Keys: st.Keys, Brokers: st.Brokers}
			api := &httpadmin.API{Ops: q, Runner: st.Runner, Version: Version, Started: time.Now(), Instance: rt.Cfg.HTTPAddr, Settle: st.Store.Settle,
				Commands: commands, Config: settings, Quotas: settings, Flags: flags, Licensing: licensing, Modules: modules,
				Gateway: &rmgw.Queries{Runner: st.Runner}, IAM: &rmiam.Queries{Runner: st.Runner}, Compliance: &rmcmp.Queries{Runner: st.Runner}}
			return &Parts{Routes: concat(api.Routes(), api.AdministrationRoutes(), api.OFREPRoutes()),
				Reactors: []reactors.Reactor{rxadmin.State(settings, flags, licensing)},
				Service:  &adminService{flags: flags, licensing: licensing, settings: settings}}, nil
		},
	})
}

// adminOf is the admin module's service (nil before it started).
func adminOf(rt *Runtime) *adminService {
	s, _ := rt.services["admin"].(*adminService)
	return s
}

// entitled is the route mounting's licence check (server.Deps.Entitled).
func entitled(rt *Runtime) func(module string) echo.MiddlewareFunc {
	s := adminOf(rt)
	if s == nil {
		return nil
	}
	return httpadmin.Entitled(s.licensing, time.Now)
}

// attachRateGuard hands the server's rate limiter to the stored settings.
func attachRateGuard(rt *Runtime, g *ratelimit.Guard) {
	if s := adminOf(rt); s != nil {
		s.settings.attachRateGuard(g)
	}
}

// featureGate is the product's gates for the other modules: on unless a
// flag of the key turns it off for the tenant and the caller.
func featureGate(rt *Runtime) func(key, tenantID, targetingKey string) bool {
	var flags *admin.FlagSet
	if s := adminOf(rt); s != nil {
		flags = s.flags
	}
	return flags.Enabled
}
