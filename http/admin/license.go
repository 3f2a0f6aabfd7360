package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// Editions of the product.
const (
	EditionCommunity  = "community"
	EditionCommercial = "commercial"
)

// Seats compares the active users with the licence's seats.
type Seats struct {
	Licensed int   `json:"licensed" doc:"Seats of the licence (0: unlimited, as without a licence)."`
	Used     int64 `json:"used" doc:"Active users across every tenant."`
	Over     bool  `json:"over" doc:"More active users than seats; reported (and logged), never enforced."`
}

// ModuleEntitlement says whether a module of this instance serves.
type ModuleEntitlement struct {
	Module   string `json:"module" doc:"A module of the product."`
	Licensed bool   `json:"licensed" doc:"It serves; false: its routes answer 403 LIC-001."`
}

// LicenseView is the licence in force and what it entitles.
type LicenseView struct {
	Edition string `json:"edition" enum:"community,commercial" doc:"community without a licence (every module on) or once it expired past its grace period; commercial under a licence."`
	Status  string `json:"status" enum:"community,active,grace,expired" doc:"The licence's state: none installed, before expires_at, within the grace period (enforced, with a warning), or past it."`
	// License is nil for the community edition.
	License     *admin.License      `json:"license" doc:"The licence installed last (null: none)."`
	KeyID       string              `json:"key_id,omitempty" doc:"The id of the key that signed it."`
	InstalledAt *time.Time          `json:"installed_at" doc:"When it was installed."`
	InstalledBy string              `json:"installed_by,omitempty" doc:"Who installed it."`
	GraceEndsAt *time.Time          `json:"grace_ends_at" doc:"When its grace period ends."`
	Warning     string              `json:"warning,omitempty" doc:"Within the grace period, what every answer's X-Astra-License-Warning header says too."`
	Seats       Seats               `json:"seats" doc:"Active users against the licence's seats."`
	Modules     []ModuleEntitlement `json:"modules" doc:"Every module of this instance and whether it serves."`
}

// activeUsers counts the active users of a tenant ("*": of every tenant).
func (a *API) activeUsers(c echo.Context, tenant string) (int64, error) {
	page, err := a.IAM.ListUsers(c.Request().Context(), tenant, rmiam.UserFilter{Status: iam.StatusActive}, projections.PageRequest{Limit: 1})
	return page.Total, err
}

func (a *API) licenseView(c echo.Context) (LicenseView, error) {
	now := a.now()
	v := LicenseView{Edition: EditionCommunity, Status: admin.LicenseCommunity, Modules: []ModuleEntitlement{}}
	used, err := a.activeUsers(c, "*")
	if err != nil {
		return v, err
	}
	v.Seats.Used = used
	in := a.Licensing.Installed()
	if in != nil {
		l := in.License
		ends := l.GraceEnds()
		v.License, v.KeyID, v.InstalledAt, v.InstalledBy, v.GraceEndsAt = &l, in.KeyID, &in.InstalledAt, in.InstalledBy, &ends
		v.Status = l.Status(now)
		if v.Status != admin.LicenseExpired {
			v.Edition = EditionCommercial
			v.Seats.Licensed = l.Seats
			v.Seats.Over = l.Seats > 0 && used > int64(l.Seats)
		}
	}
	for _, m := range a.Modules {
		e, err := a.Licensing.Check(m, now)
		v.Warning = e.Warning
		v.Modules = append(v.Modules, ModuleEntitlement{Module: m, Licensed: err == nil})
	}
	return v, nil
}

func (a *API) license(c echo.Context) error {
	v, err := a.licenseView(c)
	if err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, v)
}

// installLicense verifies the signed file against the trusted keys and
// installs it on every instance (this one before it answers).
func (a *API) installLicense(c echo.Context) error {
	var f admin.LicenseFile
	if err := platform.Bind(c, &f); err != nil {
		return err
	}
	file, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if _, _, err := a.Commands.InstallLicense(c.Request().Context(), writes.Metadata(c), file); err != nil {
		return err
	}
	return a.license(c)
}

// LicenseWarningHeader carries the grace period's warning on every answer
// of a licensed module.
const LicenseWarningHeader = "X-Astra-License-Warning"

// Entitled is the route mounting's licence check: a route of a module
// outside the licence in force answers 403 LIC-001; within the grace
// period every answer carries LicenseWarningHeader. Core modules (iam, sso,
// admin, platform) are never checked.
func Entitled(l *admin.Licensing, now func() time.Time) func(module string) echo.MiddlewareFunc {
	return func(module string) echo.MiddlewareFunc {
		if slices.Contains(admin.CoreModules, module) {
			return nil
		}
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				e, err := l.Check(module, now())
				if e.Warning != "" {
					c.Response().Header().Set(LicenseWarningHeader, e.Warning)
				}
				if err != nil {
					return err // admin.ErrModuleNotLicensed: LIC-001
				}
				return next(c)
			}
		}
	}
}
