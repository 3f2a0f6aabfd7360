package eventstore

import (
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/events"
)

// One is the decision of a domain rule that decides at most one event, as
// it returned it (payload, error): err as it is, no event when d is nil (the
// rule found nothing to record), else one event of type t about subject.
// It keeps a command's decide to load → rule → One.
func One[T any](t events.Type, subject string, d *T, err error) (Decision, error) {
	if err != nil || d == nil {
		return nil, err
	}
	return Decision{{Type: t, Subject: subject, Data: d}}, nil
}

// NewID is a new aggregate id: a UUIDv7, so that ids sort by creation.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Clock is what commands that compare dates read the time from: the system's
// clock when nil (tests set one).
type Clock func() time.Time

// Read returns the time, in UTC.
func (c Clock) Read() time.Time {
	if c == nil {
		return time.Now().UTC()
	}
	return c().UTC()
}
