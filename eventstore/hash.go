package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strconv"
	"time"
)

// chainHash is SHA-256 over the predecessor's hash and the canonical encoding
// of every attribute of the event (length-prefixed, so no two different events
// encode alike). Personal fields are hashed as ciphertext, which is why erasing
// a key leaves the chain intact.
func chainHash(prev []byte, e *Event) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field(prev)
	field([]byte(e.ID.String()))
	field([]byte(e.StreamID))
	field([]byte(strconv.FormatInt(e.Version, 10)))
	field([]byte(e.TenantID))
	field([]byte(e.Type))
	field([]byte(e.Source))
	field([]byte(e.Subject))
	field([]byte(e.Actor))
	field([]byte(e.Time.UTC().Format(time.RFC3339Nano)))
	field([]byte(e.CorrelationID))
	field([]byte(e.CausationID))
	field([]byte(strconv.Itoa(e.SchemaVersion)))
	field(e.Data)
	return sum(h)
}

func sum(h hash.Hash) []byte { return h.Sum(nil) }
