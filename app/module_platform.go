package app

import (
	"github.com/astrabastion/astra/eventstore"
	"github.com/astrabastion/astra/http/platform"
)

// The platform's own mappings: what every module's commands may return.
func init() {
	register(Module{
		Name:  "platform",
		Order: 0,
		DomainErrors: []platform.DomainError{
			{Err: eventstore.ErrVersionMismatch, Code: "CON-001", Detail: "The resource changed since the version in If-Match; read it again."},
		},
	})
}
