package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"sort"
)

// Flag types: the JSON type of every variant's value.
const (
	FlagBoolean = "boolean"
	FlagString  = "string"
	FlagNumber  = "number"
	FlagObject  = "object"
)

// FlagTypes lists the flag types.
var FlagTypes = []string{FlagBoolean, FlagString, FlagNumber, FlagObject}

// Flag is a feature flag of the platform: named variants of one type, a
// default, targeting rules per tenant and user, a percentage rollout and a
// kill switch (Enabled false serves OffVariant to everyone).
type Flag struct {
	Key         string `json:"key" doc:"The flag's key: 1 to 128 letters, digits, '.', '_' or '-'; what OpenFeature clients evaluate."`
	Description string `json:"description" doc:"What the flag gates, for people."`
	Type        string `json:"type" enum:"boolean,string,number,object" doc:"The JSON type of every variant's value."`
	// Variants name the values the flag serves.
	Variants map[string]any `json:"variants" doc:"The values the flag serves, by variant name (a boolean flag defaults to {\"on\": true, \"off\": false})."`
	// DefaultVariant is served when no rule matches and there is no rollout.
	DefaultVariant string `json:"default_variant" doc:"The variant served when no rule matches and there is no rollout."`
	// OffVariant is served to everyone while the flag is disabled.
	OffVariant string `json:"off_variant" doc:"The variant served to everyone while the flag is disabled (its kill switch); a boolean flag's false variant by default, else default_variant."`
	// Enabled false is the flag's kill switch.
	Enabled bool `json:"enabled" doc:"false is the kill switch: everyone gets off_variant, with reason DISABLED."`
	// Rules are tried in order; the first that matches decides.
	Rules []Rule `json:"rules" doc:"Targeting rules, tried in order; the first that matches decides."`
	// Rollout splits those no rule matched between variants by percentage;
	// empty: they get DefaultVariant.
	Rollout []Split `json:"rollout" doc:"A percentage split of everyone no rule matched (needs a targeting key); empty: they get default_variant."`
}

// Rule targets tenants and users: it matches when the tenant is one of
// Tenants (or Tenants is empty) and the targeting key is one of Users (or
// Users is empty). It serves Variant, or splits its matches by Rollout.
type Rule struct {
	Description string   `json:"description,omitempty" doc:"Why the rule exists, for people."`
	Tenants     []string `json:"tenants" doc:"Tenant ids the rule matches (empty: any tenant)."`
	Users       []string `json:"users" doc:"Targeting keys (user or API key ids) the rule matches (empty: anyone)."`
	Variant     string   `json:"variant,omitempty" doc:"The variant the rule serves (or rollout)."`
	Rollout     []Split  `json:"rollout,omitempty" doc:"A percentage split of the rule's matches between variants (or variant)."`
}

// Split is one variant's share of a rollout, in percent (two decimals).
type Split struct {
	Variant string  `json:"variant" doc:"A variant of the flag."`
	Weight  float64 `json:"weight" doc:"Its share in percent (0 to 100, two decimals); the weights of a split add up to 100."`
}

// Limits of a flag.
const (
	maxVariants     = 32
	maxRules        = 100
	maxTargets      = 1000
	maxDescription  = 1000
	maxVariantValue = 16 << 10
	rolloutBuckets  = 10_000
)

var (
	flagKeyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	variantPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
)

// Errors of feature flags.
var (
	// ErrInvalidFlag is what every FlagError is (errors.Is).
	ErrInvalidFlag = errors.New("admin: invalid feature flag")
	// ErrFlagNotFound reports a key that names no flag (or a deleted one).
	ErrFlagNotFound = errors.New("admin: feature flag not found")
	// ErrFlagExists reports a creation with a key in use.
	ErrFlagExists = errors.New("admin: feature flag exists")
)

// FlagError is a refused flag definition: the field, and what is wrong.
type FlagError struct {
	Field   string
	Message string
}

func (e *FlagError) Error() string { return "admin: " + e.Field + " " + e.Message }

// Unwrap makes the error an ErrInvalidFlag.
func (e *FlagError) Unwrap() error { return ErrInvalidFlag }

// InputField names the field for the problem's errors[].
func (e *FlagError) InputField() (string, string) { return e.Field, e.Message }

func invalid(field, format string, args ...any) error {
	return &FlagError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Normalize fills what a definition may leave out (a boolean flag's on/off
// variants, its off variant, empty lists) and checks the result.
func (f *Flag) Normalize() error {
	if f.Type == FlagBoolean && len(f.Variants) == 0 {
		f.Variants = map[string]any{"on": true, "off": false}
	}
	if f.OffVariant == "" {
		f.OffVariant = f.DefaultVariant
		if f.Type == FlagBoolean {
			for _, name := range sortedVariants(f.Variants) {
				if f.Variants[name] == false {
					f.OffVariant = name
					break
				}
			}
		}
	}
	if f.Rules == nil {
		f.Rules = []Rule{}
	}
	if f.Rollout == nil {
		f.Rollout = []Split{}
	}
	for i := range f.Rules {
		if f.Rules[i].Tenants == nil {
			f.Rules[i].Tenants = []string{}
		}
		if f.Rules[i].Users == nil {
			f.Rules[i].Users = []string{}
		}
	}
	return f.Check()
}

// Check reports the first thing wrong with the flag, as a *FlagError.
func (f *Flag) Check() error {
	if !flagKeyPattern.MatchString(f.Key) {
		return invalid("key", "must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if len(f.Description) > maxDescription {
		return invalid("description", "must be at most %d characters", maxDescription)
	}
	if !slices.Contains(FlagTypes, f.Type) {
		return invalid("type", "must be one of boolean, string, number, object")
	}
	if len(f.Variants) == 0 || len(f.Variants) > maxVariants {
		return invalid("variants", "must name 1 to %d variants", maxVariants)
	}
	for _, name := range sortedVariants(f.Variants) {
		if !variantPattern.MatchString(name) {
			return invalid("variants", "variant name %q must be 1 to 64 letters, digits, '.', '_' or '-'", name)
		}
		if !ofType(f.Type, f.Variants[name]) {
			return invalid("variants."+name, "must be a %s value, as the flag's type says", f.Type)
		}
		if raw, _ := json.Marshal(f.Variants[name]); len(raw) > maxVariantValue {
			return invalid("variants."+name, "must be at most %d bytes of JSON", maxVariantValue)
		}
	}
	if _, ok := f.Variants[f.DefaultVariant]; !ok {
		return invalid("default_variant", "must name one of the variants")
	}
	if _, ok := f.Variants[f.OffVariant]; !ok {
		return invalid("off_variant", "must name one of the variants")
	}
	if len(f.Rules) > maxRules {
		return invalid("rules", "must be at most %d", maxRules)
	}
	for i, r := range f.Rules {
		field := fmt.Sprintf("rules[%d]", i)
		if len(r.Tenants) == 0 && len(r.Users) == 0 {
			return invalid(field, "must name tenants or users (the flag's rollout and default_variant serve everyone else)")
		}
		if len(r.Tenants) > maxTargets || len(r.Users) > maxTargets {
			return invalid(field, "must name at most %d tenants and %d users", maxTargets, maxTargets)
		}
		if len(r.Description) > maxDescription {
			return invalid(field+".description", "must be at most %d characters", maxDescription)
		}
		switch {
		case r.Variant != "" && len(r.Rollout) > 0:
			return invalid(field, "serves a variant or a rollout, not both")
		case r.Variant != "":
			if _, ok := f.Variants[r.Variant]; !ok {
				return invalid(field+".variant", "must name one of the variants")
			}
		case len(r.Rollout) > 0:
			if err := checkRollout(f, field+".rollout", r.Rollout); err != nil {
				return err
			}
		default:
			return invalid(field, "must serve a variant or a rollout")
		}
	}
	if len(f.Rollout) > 0 {
		return checkRollout(f, "rollout", f.Rollout)
	}
	return nil
}

func checkRollout(f *Flag, field string, splits []Split) error {
	total := 0
	seen := map[string]bool{}
	for _, s := range splits {
		if _, ok := f.Variants[s.Variant]; !ok {
			return invalid(field, "names %q, which is not a variant", s.Variant)
		}
		if seen[s.Variant] {
			return invalid(field, "names %q twice", s.Variant)
		}
		seen[s.Variant] = true
		bp := math.Round(s.Weight * 100)
		if s.Weight < 0 || math.Abs(bp-s.Weight*100) > 1e-6 {
			return invalid(field, "weights are percentages from 0 to 100 with at most two decimals")
		}
		total += int(bp)
	}
	if total != rolloutBuckets {
		return invalid(field, "weights must add up to 100")
	}
	return nil
}

func ofType(t string, v any) bool {
	switch t {
	case FlagBoolean:
		_, ok := v.(bool)
		return ok
	case FlagString:
		_, ok := v.(string)
		return ok
	case FlagNumber:
		switch v.(type) {
		case float64, int, int64, json.Number:
			return true
		}
	case FlagObject:
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func sortedVariants(vs map[string]any) []string {
	out := make([]string, 0, len(vs))
	for k := range vs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FlagPatch changes some of a flag (nil fields stay); its type never changes.
type FlagPatch struct {
	Description    *string
	Variants       map[string]any
	DefaultVariant *string
	OffVariant     *string
	Enabled        *bool
	Rules          *[]Rule
	Rollout        *[]Split
}

// Patched is the flag with the patch applied, checked.
func (f Flag) Patched(p FlagPatch) (Flag, error) {
	out := f
	if p.Description != nil {
		out.Description = *p.Description
	}
	if p.Variants != nil {
		out.Variants = p.Variants
	}
	if p.DefaultVariant != nil {
		out.DefaultVariant = *p.DefaultVariant
	}
	if p.OffVariant != nil {
		out.OffVariant = *p.OffVariant
	}
	if p.Enabled != nil {
		out.Enabled = *p.Enabled
	}
	if p.Rules != nil {
		out.Rules = *p.Rules
	}
	if p.Rollout != nil {
		out.Rollout = *p.Rollout
	}
	return out, out.Normalize()
}

// Evaluation reasons (OpenFeature's).
const (
	ReasonStatic         = "STATIC"
	ReasonDefault        = "DEFAULT"
	ReasonTargetingMatch = "TARGETING_MATCH"
	ReasonSplit          = "SPLIT"
	ReasonDisabled       = "DISABLED"
	ReasonError          = "ERROR"
)

// Evaluation error codes (OpenFeature's).
const (
	ErrorFlagNotFound        = "FLAG_NOT_FOUND"
	ErrorParse               = "PARSE_ERROR"
	ErrorTargetingKeyMissing = "TARGETING_KEY_MISSING"
	ErrorInvalidContext      = "INVALID_CONTEXT"
	ErrorGeneral             = "GENERAL"
)

// EvalContext is who a flag is evaluated for: the tenant of the credential
// (never one the caller names) and the targeting key (a user id).
type EvalContext struct {
	TenantID     string
	TargetingKey string
}

// Resolution is the outcome of an evaluation: a value, its variant and the
// reason, or an error code with its detail.
type Resolution struct {
	Value       any
	Variant     string
	Reason      string
	ErrorCode   string
	ErrorDetail string
}

// Bucket places a tenant's targeting key in one of 10,000 buckets of a
// flag: FNV-1a (64 bit) of the flag key, the tenant id and the targeting
// key, separated by NUL bytes, modulo 10,000. It is stable across instances,
// restarts and releases, differs between flags (so that the same users are
// not always the first in every rollout), and a rollout that grows moves
// only users into the growing variant.
func Bucket(flagKey, tenantID, targetingKey string) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(flagKey))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(tenantID))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(targetingKey))
	return int(h.Sum64() % rolloutBuckets)
}

// pick finds the variant of a bucket: the splits take consecutive ranges of
// buckets in their order.
func pick(splits []Split, bucket int) string {
	upper := 0
	for _, s := range splits {
		upper += int(math.Round(s.Weight * 100))
		if bucket < upper {
			return s.Variant
		}
	}
	return splits[len(splits)-1].Variant
}

func (r Rule) matches(c EvalContext) bool {
	if len(r.Tenants) > 0 && !slices.Contains(r.Tenants, c.TenantID) {
		return false
	}
	if len(r.Users) > 0 && (c.TargetingKey == "" || !slices.Contains(r.Users, c.TargetingKey)) {
		return false
	}
	return true
}

// Evaluate resolves the flag for c: the kill switch first, then the rules in
// order, then the rollout, then the default variant. A rollout needs a
// targeting key (TARGETING_KEY_MISSING without one).
func (f *Flag) Evaluate(c EvalContext) Resolution {
	serve := func(variant, reason string) Resolution {
		return Resolution{Value: f.Variants[variant], Variant: variant, Reason: reason}
	}
	split := func(splits []Split) Resolution {
		if c.TargetingKey == "" {
			return Resolution{Reason: ReasonError, ErrorCode: ErrorTargetingKeyMissing,
				ErrorDetail: "flag " + f.Key + " splits by percentage and needs a targetingKey in the context"}
		}
		return serve(pick(splits, Bucket(f.Key, c.TenantID, c.TargetingKey)), ReasonSplit)
	}
	if !f.Enabled {
		return serve(f.OffVariant, ReasonDisabled)
	}
	for _, r := range f.Rules {
		if !r.matches(c) {
			continue
		}
		if r.Variant != "" {
			return serve(r.Variant, ReasonTargetingMatch)
		}
		return split(r.Rollout)
	}
	if len(f.Rollout) > 0 {
		return split(f.Rollout)
	}
	if len(f.Rules) == 0 {
		return serve(f.DefaultVariant, ReasonStatic)
	}
	return serve(f.DefaultVariant, ReasonDefault)
}
