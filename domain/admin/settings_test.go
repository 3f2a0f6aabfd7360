package admin

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

func body(kv ...string) map[string]json.RawMessage {
	m := map[string]json.RawMessage{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = json.RawMessage(kv[i+1])
	}
	return m
}

func TestConfigChange_StoresRuntimeSettingsAndRefusesTheRest(t *testing.T) {
	known := func(k string) bool { return k == "database_url" || k == "http_addr" }
	stored := map[string]string{"log_level": "warn"}
	ch, err := ConfigChange(stored, body("log_level", `"DEBUG"`, "rate_limit_per_minute", `1200`, "read_your_writes_timeout", `"1500ms"`), known)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"log_level": "debug", "rate_limit_per_minute": "1200", "read_your_writes_timeout": "1.5s"}
	if !reflect.DeepEqual(ch.Settings, want) || !reflect.DeepEqual(ch.Set, want) {
		t.Fatalf("change %+v", ch)
	}
	// null resets; the same value again changes nothing.
	ch, err = ConfigChange(want, body("log_level", `null`, "rate_limit_per_minute", `1200`), known)
	if err != nil || !reflect.DeepEqual(ch.Reset, []string{"log_level"}) || len(ch.Set) != 0 || ch.Settings["log_level"] != "" {
		t.Fatalf("reset: %+v %v", ch, err)
	}
	if ch, err := ConfigChange(want, body("rate_limit_per_minute", `1200`), known); ch != nil || err != nil {
		t.Fatalf("no-op: %+v %v", ch, err)
	}
	for name, tc := range map[string]struct {
		body map[string]json.RawMessage
		key  string
		err  error
	}{
		"restart":   {body("database_url", `"postgres://x"`), "database_url", ErrRestartRequired},
		"unknown":   {body("colour", `"red"`), "colour", ErrUnknownSetting},
		"enum":      {body("log_level", `"loud"`), "log_level", ErrInvalidSetting},
		"range":     {body("rate_limit_per_minute", `0`), "rate_limit_per_minute", ErrInvalidSetting},
		"integer":   {body("ws_max_patterns", `"ten"`), "ws_max_patterns", ErrInvalidSetting},
		"fraction":  {body("ws_max_patterns", `1.5`), "ws_max_patterns", ErrInvalidSetting},
		"duration":  {body("read_your_writes_timeout", `5`), "read_your_writes_timeout", ErrInvalidSetting},
		"too long":  {body("read_your_writes_timeout", `"2h"`), "read_your_writes_timeout", ErrInvalidSetting},
		"no change": {body(), "", ErrNoChange},
	} {
		_, err := ConfigChange(nil, tc.body, known)
		var se *SettingError
		if !errors.Is(err, tc.err) || (tc.key != "" && (!errors.As(err, &se) || se.Key != tc.key)) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}
