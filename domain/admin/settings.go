package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Setting kinds: how a runtime setting's value is written.
const (
	KindInteger  = "integer"
	KindDuration = "duration"
	KindEnum     = "enum"
)

// RuntimeSetting is a setting that may change while the product runs: every
// instance applies a change as soon as the log reaches it. Its key is its
// environment variable without ASTRA_, in lower case.
type RuntimeSetting struct {
	Key         string
	Kind        string
	Description string
	// Enum lists the values of a KindEnum setting.
	Enum []string
	// Min and Max bound an integer; MinDuration and MaxDuration a duration.
	Min, Max                 int64
	MinDuration, MaxDuration time.Duration
}

// Variable is the setting's environment variable.
func (s RuntimeSetting) Variable() string { return "ASTRA_" + strings.ToUpper(s.Key) }

// The settings an instance can apply without a restart. Everything else
// (addresses, the database, the broker, keys, TLS) is read once at start.
var RuntimeSettings = []RuntimeSetting{
	{Key: "log_level", Kind: KindEnum, Enum: []string{"debug", "info", "warn", "error"},
		Description: "The level of the JSON log."},
	{Key: "rate_limit_per_minute", Kind: KindInteger, Min: 1, Max: 10_000_000,
		Description: "Requests per minute of a tenant without a rate limit of its own."},
	{Key: "rate_limit_anon_per_minute", Kind: KindInteger, Min: 1, Max: 10_000_000,
		Description: "Requests per minute of one client address on unauthenticated routes."},
	{Key: "read_your_writes_timeout", Kind: KindDuration, MinDuration: 0, MaxDuration: time.Minute,
		Description: "How long a write waits for its read models before answering with X-Astra-Consistency: eventual."},
	{Key: "ws_max_patterns", Kind: KindInteger, Min: 1, Max: 10_000,
		Description: "Channel patterns one live-stream connection may subscribe to."},
	{Key: "ws_max_connections_per_principal", Kind: KindInteger, Min: 1, Max: 10_000,
		Description: "Open live-stream connections of one user or API key on one instance."},
	{Key: "tenant_quota_requests_per_month", Kind: KindInteger, Min: 0, Max: 1 << 53,
		Description: "Gateway requests a tenant may make in a calendar month (0: the licence's quota, or none); reported by the usage endpoint."},
	{Key: "tenant_quota_tokens_per_month", Kind: KindInteger, Min: 0, Max: 1 << 53,
		Description: "Provider tokens a tenant may use in a calendar month (0: the licence's quota, or none); reported by the usage endpoint."},
	{Key: "tenant_quota_storage_bytes", Kind: KindInteger, Min: 0, Max: 1 << 53,
		Description: "Bytes a tenant may keep in the ledger and in files (0: the licence's quota, or none); reported by the usage endpoint."},
}

// RuntimeSettingOf finds a runtime setting by key.
func RuntimeSettingOf(key string) (RuntimeSetting, bool) {
	i := slices.IndexFunc(RuntimeSettings, func(s RuntimeSetting) bool { return s.Key == key })
	if i < 0 {
		return RuntimeSetting{}, false
	}
	return RuntimeSettings[i], true
}

// Errors of a settings change.
var (
	// ErrUnknownSetting reports a key that names no setting.
	ErrUnknownSetting = errors.New("admin: unknown setting")
	// ErrRestartRequired reports a setting that is read once at start.
	ErrRestartRequired = errors.New("admin: setting requires a restart")
	// ErrInvalidSetting reports a value the setting does not take.
	ErrInvalidSetting = errors.New("admin: invalid setting value")
	// ErrNoChange reports a change that names no setting.
	ErrNoChange = errors.New("admin: the change names no setting")
)

// SettingError is a refused setting: which, and why.
type SettingError struct {
	Key     string
	Message string
	Err     error
}

func (e *SettingError) Error() string { return "admin: " + e.Key + ": " + e.Message }

// Unwrap makes the error one of the sentinels above.
func (e *SettingError) Unwrap() error { return e.Err }

// InputField names the setting for the problem's errors[].
func (e *SettingError) InputField() (string, string) { return e.Key, e.Message }

// ParseSetting reads a JSON value for a runtime setting into its canonical
// text (integers in decimal, durations as Go writes them, enums in lower case).
func ParseSetting(s RuntimeSetting, raw json.RawMessage) (string, error) {
	bad := func(msg string) error { return &SettingError{Key: s.Key, Message: msg, Err: ErrInvalidSetting} }
	switch s.Kind {
	case KindInteger:
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return "", bad("must be an integer")
		}
		v, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil {
			return "", bad("must be an integer")
		}
		if v < s.Min || v > s.Max {
			return "", bad(fmt.Sprintf("must be between %d and %d", s.Min, s.Max))
		}
		return strconv.FormatInt(v, 10), nil
	case KindDuration:
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return "", bad(`must be a duration such as "5s" or "250ms"`)
		}
		d, err := time.ParseDuration(text)
		if err != nil {
			return "", bad(`must be a duration such as "5s" or "250ms"`)
		}
		if d < s.MinDuration || d > s.MaxDuration {
			return "", bad(fmt.Sprintf("must be between %s and %s", s.MinDuration, s.MaxDuration))
		}
		return d.String(), nil
	case KindEnum:
		var text string
		if err := json.Unmarshal(raw, &text); err != nil || !slices.Contains(s.Enum, strings.ToLower(text)) {
			return "", bad("must be one of " + strings.Join(s.Enum, ", "))
		}
		return strings.ToLower(text), nil
	}
	return "", bad("cannot be set")
}

// ConfigChange decides a change of the stored settings: body maps setting
// keys to their new JSON value (null: back to the value at start). known
// reports whether a key names a setting of the product at all (those that
// are not runtime settings need a restart). It returns the change with the
// stored settings after it, or nil when nothing changes.
func ConfigChange(stored map[string]string, body map[string]json.RawMessage, known func(string) bool) (*ConfigChangedV1, error) {
	if len(body) == 0 {
		return nil, ErrNoChange
	}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ch := &ConfigChangedV1{Set: map[string]string{}, Reset: []string{}, Settings: map[string]string{}}
	for k, v := range stored {
		ch.Settings[k] = v
	}
	for _, k := range keys {
		s, ok := RuntimeSettingOf(k)
		switch {
		case !ok && known(k):
			return nil, &SettingError{Key: k, Err: ErrRestartRequired,
				Message: "is read once at start and cannot change at run time: set ASTRA_" + strings.ToUpper(k) + " and restart every instance"}
		case !ok:
			return nil, &SettingError{Key: k, Message: "names no setting (GET /api/v1/admin/config lists them)", Err: ErrUnknownSetting}
		}
		if raw := bytes.TrimSpace(body[k]); bytes.Equal(raw, []byte("null")) {
			if _, had := ch.Settings[k]; had {
				delete(ch.Settings, k)
				ch.Reset = append(ch.Reset, k)
			}
			continue
		}
		v, err := ParseSetting(s, body[k])
		if err != nil {
			return nil, err
		}
		if old, had := ch.Settings[k]; had && old == v {
			continue
		}
		ch.Settings[k], ch.Set[k] = v, v
	}
	if len(ch.Set) == 0 && len(ch.Reset) == 0 {
		return nil, nil
	}
	return ch, nil
}
