package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestTransient_OnlyErrorsOfTheEventDeadLetter(t *testing.T) {
	decodeErr := json.Unmarshal([]byte(`{"a":`), &map[string]any{})
	cases := []struct {
		name      string
		err       error
		transient bool
	}{
		{"NUL in text (22021)", &pgconn.PgError{Code: "22021"}, false},
		{"unsupported unicode escape (22P05)", fmt.Errorf("apply: %w", &pgconn.PgError{Code: "22P05"}), false},
		{"unique violation (23505)", &pgconn.PgError{Code: "23505"}, false},
		{"not null violation (23502)", &pgconn.PgError{Code: "23502"}, false},
		{"payload does not decode", fmt.Errorf("eventstore: decode: %w", decodeErr), false},
		{"connection failure (08006)", &pgconn.PgError{Code: "08006"}, true},
		{"serialization failure (40001)", &pgconn.PgError{Code: "40001"}, true},
		{"deadlock (40P01)", &pgconn.PgError{Code: "40P01"}, true},
		{"too many connections (53300)", &pgconn.PgError{Code: "53300"}, true},
		{"admin shutdown (57P01)", &pgconn.PgError{Code: "57P01"}, true},
		{"undefined table (42P01)", &pgconn.PgError{Code: "42P01"}, true},
		{"context cancelled", fmt.Errorf("apply: %w", context.Canceled), true},
		{"deadline", context.DeadlineExceeded, true},
		{"connection closed", io.ErrUnexpectedEOF, true},
		{"tx closed", pgx.ErrTxClosed, true},
		{"savepoint failed", errTransient{errors.New("conn closed")}, true},
	}
	for _, tc := range cases {
		if got := transient(tc.err); got != tc.transient {
			t.Errorf("%s: transient = %v, want %v", tc.name, got, tc.transient)
		}
	}
}

func TestClean_MakesClaimsStorable(t *testing.T) {
	if got := clean("a\x00b\xffc"); got != "ab\uFFFDc" {
		t.Fatalf("clean = %q", got)
	}
	long := clean(strings.Repeat("é", maxDeadText))
	if len(long) > maxDeadText+len("…") || !utf8.ValidString(long) {
		t.Fatalf("clean kept %d bytes", len(long))
	}
}
