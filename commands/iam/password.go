package iam

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// PasswordCost is the argon2id cost of new password hashes. A hash records
// the cost it was made with, so verifying one never depends on it.
type PasswordCost struct {
	Time      uint32 // passes over the memory
	MemoryKiB uint32
	Threads   uint8
}

// ProductionPasswordCost is OWASP's argon2id profile: 19 MiB, 2 passes, 1
// lane. It is the cost of every deployment (the zero PasswordCost means it).
var ProductionPasswordCost = PasswordCost{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

// TestPasswordCost is for tests only: the least cost argon2id takes (one
// pass over 64 KiB), so that the tests that create and sign in users by the
// hundred spend their time on what they check rather than on hashing (one
// production-cost hash is ~0.4 s under the race detector). The code path is
// the same; only the parameters recorded in the hash differ.
var TestPasswordCost = PasswordCost{Time: 1, MemoryKiB: 64, Threads: 1}

// orProduction returns c, or the production cost when c is zero.
func (c PasswordCost) orProduction() PasswordCost {
	if c == (PasswordCost{}) {
		return ProductionPasswordCost
	}
	return c
}

const argonKeyLen = 32

// hashSlots bounds concurrent hashing so a burst of logins or user creations
// cannot take memory without limit (each hash holds 19 MiB while it runs).
var hashSlots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

// hashPassword returns an encoded argon2id hash (PHC string format) at the
// handlers' cost.
func (h *Handlers) hashPassword(password string) (string, error) {
	return hashPassword(password, h.PasswordCost)
}

// hashPassword returns an encoded argon2id hash made at cost (zero: the production cost).
func hashPassword(password string, cost PasswordCost) (string, error) {
	cost = cost.orProduction()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	hashSlots <- struct{}{}
	key := argon2.IDKey([]byte(password), salt, cost.Time, cost.MemoryKiB, cost.Threads, argonKeyLen)
	<-hashSlots
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, cost.MemoryKiB, cost.Time, cost.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword checks a password against an encoded argon2id hash in constant time.
func VerifyPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("iam: unsupported password hash")
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, fmt.Errorf("iam: password hash parameters: %w", err)
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	hashSlots <- struct{}{}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	<-hashSlots
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHashes holds, per cost, the hash verified against when there is no
// account, so that an unknown address costs the same argon2id work as a
// known one. Each is made on first use: a program that never signs anyone
// in (and every test binary that imports this package) spends nothing on it.
var dummyHashes sync.Map // PasswordCost → *dummyHash

type dummyHash struct {
	once    sync.Once
	encoded string
}

// dummyVerify spends the time of one password check at cost against no account.
func dummyVerify(cost PasswordCost, password string) {
	v, _ := dummyHashes.LoadOrStore(cost.orProduction(), &dummyHash{})
	d := v.(*dummyHash)
	d.once.Do(func() { d.encoded, _ = hashPassword("astra: no such account", cost) })
	_, _ = VerifyPassword(d.encoded, password)
}

// DummyVerify spends the time of one password check against no account, at
// the cost of the handlers' new hashes.
func (h *Handlers) DummyVerify(password string) { dummyVerify(h.PasswordCost, password) }
