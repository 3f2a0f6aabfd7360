package app

import (
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/astrabastion/astra/domain/admin"
	httpadmin "github.com/astrabastion/astra/http/admin"
	"github.com/astrabastion/astra/http/ratelimit"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/http/ws"
)

// liveSettings are an instance's settings as they are in force: the
// configuration it started with, and the run-time settings stored since
// (PATCH /admin/config), which the admin reactor hands it on every
// instance. It applies them to what reads them: the log level, the rate
// limiter's defaults, the read-your-writes bound and the live stream's caps;
// the usage endpoint reads the tenant quotas from it.
type liveSettings struct {
	cfg  Config
	hub  *ws.Hub
	kit  *writes.Kit
	log  *slog.Logger
	addr string

	mu      sync.Mutex
	version int64
	stored  map[string]string
	guard   *ratelimit.Guard
}

// Apply implements reactors/admin.Settings.
func (s *liveSettings) Apply(version int64, stored map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version != 0 && version <= s.version {
		return
	}
	s.version, s.stored = version, map[string]string{}
	for k, v := range stored {
		s.stored[k] = v
	}
	s.applyLocked()
}

// attachRateGuard hands the rate limiter over once the server has it (it is
// built after the modules) and applies the settings in force to it.
func (s *liveSettings) attachRateGuard(g *ratelimit.Guard) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guard = g
	s.applyLocked()
}

// startValue is a run-time setting's value at start, in its canonical text
// (zero values of a Config built by hand are the components' defaults).
func (s *liveSettings) startValue(key string) string {
	c := s.cfg
	orDefault := func(v, def int) string {
		if v <= 0 {
			v = def
		}
		return strconv.Itoa(v)
	}
	switch key {
	case "log_level":
		if c.LogLevel == "" {
			return "info"
		}
		return strings.ToLower(c.LogLevel)
	case "rate_limit_per_minute":
		return orDefault(c.RateLimitPerMinute, ratelimit.DefaultTenantPerMinute)
	case "rate_limit_anon_per_minute":
		return orDefault(c.RateLimitAnon, ratelimit.DefaultAnonPerMinute)
	case "read_your_writes_timeout":
		return c.ReadYourWrites.String()
	case "ws_max_patterns":
		return orDefault(c.WSMaxPatterns, ws.DefaultMaxPatterns)
	case "ws_max_connections_per_principal":
		return orDefault(c.WSMaxConnectionsPerPrincipal, ws.DefaultMaxConnectionsPerPrincipal)
	case "tenant_quota_requests_per_month":
		return strconv.FormatInt(c.TenantQuotaRequestsPerMonth, 10)
	case "tenant_quota_tokens_per_month":
		return strconv.FormatInt(c.TenantQuotaTokensPerMonth, 10)
	case "tenant_quota_storage_bytes":
		return strconv.FormatInt(c.TenantQuotaStorageBytes, 10)
	}
	return ""
}

// valueLocked is a run-time setting in force: stored, or as at start.
func (s *liveSettings) valueLocked(key string) string {
	if v, ok := s.stored[key]; ok {
		return v
	}
	return s.startValue(key)
}

func (s *liveSettings) intLocked(key string) int64 {
	n, _ := strconv.ParseInt(s.valueLocked(key), 10, 64)
	return n
}

// applyLocked puts the settings in force into the components.
func (s *liveSettings) applyLocked() {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.valueLocked("log_level"))); err == nil {
		logLevel.Set(level)
	}
	if s.hub != nil {
		s.hub.SetCaps(int(s.intLocked("ws_max_patterns")), int(s.intLocked("ws_max_connections_per_principal")))
	}
	if s.kit != nil {
		if d, err := time.ParseDuration(s.valueLocked("read_your_writes_timeout")); err == nil {
			s.kit.SetTimeout(d)
		}
	}
	if s.guard != nil {
		s.guard.SetDefaults(int(s.intLocked("rate_limit_per_minute")), int(s.intLocked("rate_limit_anon_per_minute")))
	}
	if s.log != nil && s.version > 0 {
		s.log.Info("stored settings applied", "version", s.version, "settings", len(s.stored))
	}
}

// Quotas implements http/admin.Quotas.
func (s *liveSettings) Quotas() (requests, tokens, storage int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.intLocked("tenant_quota_requests_per_month"), s.intLocked("tenant_quota_tokens_per_month"), s.intLocked("tenant_quota_storage_bytes")
}

// settingFields are Config's fields that are settings (an environment
// variable), in declaration order.
func settingFields() []reflect.StructField {
	var out []reflect.StructField
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		if f.IsExported() && f.Tag.Get("env") != "" {
			out = append(out, f)
		}
	}
	return out
}

// keyOf is a setting's key: its variable without ASTRA_, in lower case.
func keyOf(variable string) string { return strings.ToLower(strings.TrimPrefix(variable, "ASTRA_")) }

// Known implements http/admin.Configuration: whether a key names a setting.
func (s *liveSettings) Known(key string) bool {
	for _, f := range settingFields() {
		if keyOf(f.Tag.Get("env")) == key {
			return true
		}
	}
	return false
}

// secretFields hold secrets whatever their value looks like; the values
// of every other field are masked too where they carry a URL password.
var secretFields = map[string]bool{"MasterKey": true, "BootstrapPass": true, "KafkaSASLPassword": true}

// secretName reports a field whose name says it holds a secret.
func secretName(name string) bool {
	n := strings.ToLower(name)
	return secretFields[name] || strings.Contains(n, "password") || strings.Contains(n, "secret") || strings.Contains(n, "token")
}

const masked = "****"

// maskURL hides the password of a URL (its user information, or a
// password query parameter); ok is false when there was none.
func maskURL(v string) (string, bool) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" {
		return v, false
	}
	hidden := false
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), masked)
		hidden = true
	}
	q := u.Query()
	inQuery := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") || strings.Contains(strings.ToLower(k), "secret") {
			q.Set(k, masked)
			inQuery = true
		}
	}
	if !hidden && !inQuery {
		return v, false
	}
	if inQuery {
		u.RawQuery = q.Encode()
	}
	return strings.Replace(u.String(), url.QueryEscape(masked), masked, -1), true
}

// format writes a field's value as its variable would hold it.
func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	}
	return fmt.Sprint(v.Interface())
}

// normalise writes a variable's text (an envDefault) as format would write
// the value it parses to, so that a default and a value compare.
func normalise(t reflect.Type, text string) string {
	if t == reflect.TypeFor[time.Duration]() {
		if d, err := time.ParseDuration(text); err == nil {
			return d.String()
		}
	}
	return text
}

// View implements http/admin.Configuration.
func (s *liveSettings) View() httpadmin.ConfigView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := httpadmin.ConfigView{Instance: s.addr, Version: s.version, Settings: []httpadmin.Setting{}}
	cv := reflect.ValueOf(s.cfg)
	for _, f := range settingFields() {
		variable := f.Tag.Get("env")
		key := keyOf(variable)
		st := httpadmin.Setting{Key: key, Variable: variable, Value: format(cv.FieldByIndex(f.Index)),
			Default: normalise(f.Type, f.Tag.Get("envDefault"))}
		rs, runtime := admin.RuntimeSettingOf(key)
		if runtime {
			st.Runtime, st.Description = true, rs.Description
		}
		_, stored := s.stored[key]
		switch {
		case runtime && stored:
			st.Source, st.Value = httpadmin.SourceStored, s.stored[key]
		case s.cfg.fromEnv[variable]:
			st.Source = httpadmin.SourceEnvironment
		case s.cfg.fromEnv != nil || st.Value == st.Default:
			// LoadConfig derived it from the default (an absolute data directory).
			st.Source = httpadmin.SourceDefault
		default:
			st.Source = httpadmin.SourceStartup
		}
		if runtime && !stored {
			st.Value = s.startValue(key)
		}
		if secretName(f.Name) {
			st.Secret = true
			if st.Value != "" {
				st.Value = masked
			}
			if st.Default != "" {
				st.Default = masked
			}
		} else {
			var v, d bool
			st.Value, v = maskURL(st.Value)
			st.Default, d = maskURL(st.Default)
			st.Secret = v || d
		}
		out.Settings = append(out.Settings, st)
	}
	return out
}
