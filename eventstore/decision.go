package eventstore

import "github.com/astrabastion/astra/domain/events"

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
