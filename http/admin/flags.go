package admin

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	cmd "github.com/astrabastion/astra/commands/admin"
	"github.com/astrabastion/astra/domain/admin"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/projections"
)

// FlagView is a feature flag as the platform keeps it.
type FlagView struct {
	admin.Flag
	Version   int64     `json:"version" doc:"The flag's version: 1 when created, one more with every change (send it in If-Match)."`
	CreatedAt time.Time `json:"created_at" doc:"When the flag was created."`
	UpdatedAt time.Time `json:"updated_at" doc:"When the flag last changed."`
	UpdatedBy string    `json:"updated_by" doc:"Who changed it last (a user or API key id); the audit trail has every change."`
}

func flagView(f admin.StoredFlag) FlagView {
	return FlagView{Flag: f.Flag, Version: f.Version, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt, UpdatedBy: f.UpdatedBy}
}

// FlagRequest is the body of POST /admin/feature-flags.
type FlagRequest struct {
	Key            string         `json:"key" validate:"required,max=128" doc:"The flag's key: 1 to 128 letters, digits, '.', '_' or '-'."`
	Description    string         `json:"description" validate:"max=1000" doc:"What the flag gates, for people."`
	Type           string         `json:"type" validate:"required,oneof=boolean string number object" doc:"The JSON type of every variant's value."`
	Variants       map[string]any `json:"variants" doc:"The values the flag serves, by variant name; a boolean flag without variants gets {\"on\": true, \"off\": false}."`
	DefaultVariant string         `json:"default_variant" validate:"required" doc:"The variant served when no rule matches and there is no rollout."`
	OffVariant     string         `json:"off_variant" doc:"The variant served while the flag is disabled (a boolean flag's false variant, else default_variant, when empty)."`
	Enabled        *bool          `json:"enabled,omitempty" doc:"false creates the flag disabled (its kill switch on); true by default."`
	Rules          []admin.Rule   `json:"rules" validate:"max=100" doc:"Targeting rules, tried in order."`
	Rollout        []admin.Split  `json:"rollout" validate:"max=32" doc:"A percentage split of everyone no rule matched."`
}

// FlagPatch is the body of PATCH /admin/feature-flags/{key}: absent fields
// stay; the type never changes. {"enabled": false} is the kill switch.
type FlagPatch struct {
	Description    *string        `json:"description,omitempty" validate:"omitempty,max=1000" doc:"What the flag gates."`
	Variants       map[string]any `json:"variants,omitempty" doc:"The variants, replacing all of them."`
	DefaultVariant *string        `json:"default_variant,omitempty" doc:"The variant served when no rule matches and there is no rollout."`
	OffVariant     *string        `json:"off_variant,omitempty" doc:"The variant served while the flag is disabled."`
	Enabled        *bool          `json:"enabled,omitempty" doc:"false turns the kill switch on (everyone gets off_variant); true off."`
	Rules          *[]admin.Rule  `json:"rules,omitempty" validate:"omitempty,max=100" doc:"The targeting rules, replacing all of them."`
	Rollout        *[]admin.Split `json:"rollout,omitempty" validate:"omitempty,max=32" doc:"The percentage split, replacing it ([] removes it)."`
}

// FlagDeleted is the answer of DELETE /admin/feature-flags/{key}.
type FlagDeleted struct {
	Key     string `json:"key" doc:"The deleted flag's key."`
	Version int64  `json:"version" doc:"The version its deletion recorded; a flag created again with this key continues from it."`
	Deleted bool   `json:"deleted" doc:"Always true."`
}

func (a *API) flags(c echo.Context) error {
	all, _ := a.Flags.All()
	return platform.ListPage(c, func(p projections.PageRequest) (projections.Page[FlagView], error) {
		page, err := projections.PageOf(all, p, func(f admin.StoredFlag) string { return f.Flag.Key })
		return projections.MapPage(page, flagView), err
	})
}

// answerFlag answers the flag as this instance holds it: the admin reactor
// applied the change on this instance before the append returned.
func (a *API) answerFlag(c echo.Context, status int, key string) error {
	f, ok := a.Flags.Get(key)
	if !ok {
		return admin.ErrFlagNotFound
	}
	writes.ETag(c, f.Version)
	if status == http.StatusCreated {
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/admin/feature-flags/"+url.PathEscape(key))
	}
	return platform.Respond(c, status, flagView(f))
}

func (a *API) flag(c echo.Context) error { return a.answerFlag(c, http.StatusOK, c.Param("key")) }

func (a *API) createFlag(c echo.Context) error {
	var req FlagRequest
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	f := admin.Flag{Key: req.Key, Description: req.Description, Type: req.Type, Variants: req.Variants, DefaultVariant: req.DefaultVariant,
		OffVariant: req.OffVariant, Enabled: req.Enabled == nil || *req.Enabled, Rules: req.Rules, Rollout: req.Rollout}
	if _, err := a.Commands.CreateFlag(c.Request().Context(), writes.Metadata(c), f); err != nil {
		return err
	}
	return a.answerFlag(c, http.StatusCreated, req.Key)
}

func flagKey(c echo.Context) (string, error) { return c.Param("key"), nil }

func (a *API) updateFlag(c echo.Context) error {
	key, expected, err := writes.Versioned(c, flagKey)
	if err != nil {
		return err
	}
	var req FlagPatch
	if err := platform.Bind(c, &req); err != nil {
		return err
	}
	p := admin.FlagPatch{Description: req.Description, Variants: req.Variants, DefaultVariant: req.DefaultVariant, OffVariant: req.OffVariant,
		Enabled: req.Enabled, Rules: req.Rules, Rollout: req.Rollout}
	if _, err := a.Commands.UpdateFlag(c.Request().Context(), writes.Metadata(c), cmd.UpdateFlag{Key: key, Expected: expected, Patch: p}); err != nil {
		return err
	}
	return a.answerFlag(c, http.StatusOK, key)
}

func (a *API) deleteFlag(c echo.Context) error {
	key, expected, err := writes.Versioned(c, flagKey)
	if err != nil {
		return err
	}
	evs, err := a.Commands.DeleteFlag(c.Request().Context(), writes.Metadata(c), key, expected)
	if err != nil {
		return err
	}
	var d admin.FeatureFlagChangedV1
	if err := evs[0].Decode(&d); err != nil {
		return err
	}
	return platform.Respond(c, http.StatusOK, FlagDeleted{Key: key, Version: d.Version, Deleted: true})
}
