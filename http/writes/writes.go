// Package writes holds what every mutating route shares: Idempotency-Key
// replay, If-Match versions, the event metadata of a request and the wait for
// read-your-writes.
package writes

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/astrabastion/astra/commands"
	"github.com/astrabastion/astra/http/auth"
	"github.com/astrabastion/astra/http/platform"
	"github.com/astrabastion/astra/projections"
	"github.com/astrabastion/astra/projections/idempotency"
)

// Idempotency-Key lifetimes.
const (
	// AbandonAfter frees a key whose first request never answered (a crash).
	AbandonAfter = time.Minute
	// KeyTTL is how long a key's answer is replayed.
	KeyTTL = 24 * time.Hour
)

// Kit carries the shared write-path dependencies.
type Kit struct {
	// Store keeps the Idempotency-Key records.
	Store   *idempotency.Store
	Runner  *projections.Runner
	Timeout time.Duration // read-your-writes bound (SetTimeout changes it at run time)
	// HashKey keys the request hash kept with an Idempotency-Key: bodies hold
	// passwords and client secrets, and a plain SHA-256 of a body is a fast,
	// unsalted hash of them. Nil falls back to SHA-256.
	HashKey []byte

	// timeout, when set (SetTimeout), replaces Timeout.
	timeout atomic.Int64
}

// SetTimeout changes the read-your-writes bound of a running instance (a
// stored setting); a negative value returns to Timeout.
func (k *Kit) SetTimeout(d time.Duration) {
	if d < 0 {
		k.timeout.Store(0)
		return
	}
	k.timeout.Store(int64(d) + 1) // +1: zero is a valid bound, and unset
}

// bound is the read-your-writes bound in force.
func (k *Kit) bound() time.Duration {
	if v := k.timeout.Load(); v > 0 {
		return time.Duration(v - 1)
	}
	return k.Timeout
}

// DeriveHashKey derives Kit.HashKey from the key-encryption key.
func DeriveHashKey(kek []byte) []byte {
	m := hmac.New(sha256.New, kek)
	m.Write([]byte("astra/writes/idempotency-request"))
	return m.Sum(nil)
}

const secretFieldsKey = "writes.secret_fields"

// Secret marks fields of the answer's data as once-shown secrets (an API key,
// a TOTP secret, an invitation token): the copy of the answer kept for
// Idempotency-Key retries holds null in their place and "secret_redacted":
// true, so that no secret is ever stored at rest in plaintext. A retry gets
// the same status and record without the secret.
func Secret(c echo.Context, fields ...string) { c.Set(secretFieldsKey, fields) }

// redactSecrets replaces the named fields of an envelope's data with null.
// ok is false when the body is not an envelope it can read (the caller then
// keeps nothing).
func redactSecrets(body []byte, fields []string) ([]byte, bool) {
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(env["data"], &data); err != nil {
		return nil, false
	}
	redacted := false
	for _, f := range fields {
		if _, ok := data[f]; ok {
			data[f] = json.RawMessage("null")
			redacted = true
		}
	}
	if !redacted {
		return body, true
	}
	data["secret_redacted"] = json.RawMessage("true")
	d, err := json.Marshal(data)
	if err != nil {
		return nil, false
	}
	env["data"] = d
	out, err := json.Marshal(env)
	return out, err == nil
}

// Metadata is the event metadata of a request: acting tenant, actor and the
// request id as correlation id.
func Metadata(c echo.Context) commands.Metadata {
	p := auth.PrincipalOf(c)
	m := commands.Metadata{CorrelationID: platform.RequestID(c)}
	if p != nil {
		m.TenantID, m.Actor = p.ActingTenant, p.Subject
	}
	return m
}

// IfMatch parses If-Match: "3", W/"3" or 3; -1 when absent.
func IfMatch(c echo.Context) (int64, error) {
	h := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if h == "" || h == "*" {
		return -1, nil
	}
	h = strings.TrimPrefix(h, "W/")
	h = strings.Trim(h, `"`)
	v, err := strconv.ParseInt(h, 10, 64)
	if err != nil || v < 1 {
		return 0, platform.Problem("VAL-005", "If-Match must be a resource version such as \"3\".")
	}
	return v, nil
}

// Versioned reads what a change to a versioned resource names: its id, with
// the route's own parser (which answers a malformed one as not found), and
// the version If-Match expects (-1 when absent).
func Versioned(c echo.Context, id func(echo.Context) (string, error)) (string, int64, error) {
	v, err := id(c)
	if err != nil {
		return "", 0, err
	}
	expected, err := IfMatch(c)
	if err != nil {
		return "", 0, err
	}
	return v, expected, nil
}

// ETag sets the ETag header of a versioned resource.
func ETag(c echo.Context, version int64) {
	c.Response().Header().Set("ETag", `"`+strconv.FormatInt(version, 10)+`"`)
}

// Consistency header values.
const (
	headerConsistency = "X-Astra-Consistency"
)

// Await waits until the named projections applied evs, so the writer reads its
// write. Past the bound the write stays committed and the answer says so with
// X-Astra-Consistency: eventual instead of failing.
func (k *Kit) Await(c echo.Context, evs []commands.Event, names ...string) bool {
	err := k.Runner.WaitFor(c.Request().Context(), k.bound(), evs, names...)
	if err != nil {
		c.Response().Header().Set(headerConsistency, "eventual")
		platform.Logger(c).Warn("read-your-writes bound passed", "err", err)
		return false
	}
	c.Response().Header().Set(headerConsistency, "strong")
	return true
}

// Idempotent replays the first answer to an Idempotency-Key for the same
// tenant: a retried request gets the same status and body and changes nothing.
// A key reused with a different request is refused (CON-005); a key whose first
// request is still running answers 409 (CON-004).
func (k *Kit) Idempotent() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := c.Request().Header.Get("Idempotency-Key")
			if key == "" {
				return next(c)
			}
			if len(key) > 255 {
				return platform.Problem("VAL-005", "Idempotency-Key must be at most 255 characters.")
			}
			tenant := "-"
			if p := auth.PrincipalOf(c); p != nil {
				tenant = p.ActingTenant + "/" + p.Subject
			}
			// Read within the route's body limit, as Bind would: a larger body
			// is refused here, before it is hashed or stored. What exceeds the
			// server's limit (uploads) is spooled to a temporary file, not
			// held in memory.
			h := sha256.New()
			if k.HashKey != nil {
				h = hmac.New(sha256.New, k.HashKey)
			}
			h.Write([]byte(c.Request().Method + " " + c.Request().URL.Path + "\n"))
			reqBody, cleanup, err := spoolBody(c, h)
			if err != nil {
				return err
			}
			defer cleanup()
			c.Request().Body = reqBody
			reqHash := h.Sum(nil)
			ctx := c.Request().Context()
			// A key whose first request never finished (the process died) is
			// abandoned after AbandonAfter and may be taken over; keys expire
			// after KeyTTL (their stored answers may hold personal data).
			claimed, err := k.Store.Claim(ctx, tenant, key, reqHash, AbandonAfter, KeyTTL)
			if err != nil {
				return err
			}
			if !claimed {
				return k.replay(c, tenant, key, reqHash)
			}
			rec := &recorder{ResponseWriter: c.Response().Writer, status: http.StatusOK}
			c.Response().Writer = rec
			herr := next(c)
			if herr != nil {
				c.Error(herr) // render the problem now, so that it is recorded too
			}
			status := c.Response().Status
			if status >= 500 {
				// A server failure may be transient: free the key for a retry.
				_ = k.Store.Release(context.WithoutCancel(ctx), tenant, key)
				return nil
			}
			body := rec.body.Bytes()
			if fields, _ := c.Get(secretFieldsKey).([]string); len(fields) > 0 && status < 300 {
				redacted, ok := redactSecrets(body, fields)
				if !ok {
					// Never keep what could not be redacted: free the key instead.
					_ = k.Store.Release(context.WithoutCancel(ctx), tenant, key)
					return nil
				}
				body = redacted
			}
			rh := c.Response().Header()
			stored, _ := json.Marshal(storedAnswer{ContentType: rh.Get(echo.HeaderContentType), ETag: rh.Get("ETag"),
				Location: rh.Get(echo.HeaderLocation), Body: body})
			_ = k.Store.Complete(context.WithoutCancel(ctx), tenant, key, status, stored)
			return nil
		}
	}
}

func (k *Kit) replay(c echo.Context, tenant, key string, reqHash []byte) error {
	rec, err := k.Store.Lookup(c.Request().Context(), tenant, key)
	if errors.Is(err, idempotency.ErrNotFound) {
		return platform.Problem("CON-004", "The first request with this Idempotency-Key failed; retry it.")
	}
	if err != nil {
		return err
	}
	status, stored := rec.Status, rec.Answer
	if !bytes.Equal(rec.RequestHash, reqHash) {
		return platform.Problem("CON-005", "This Idempotency-Key was used for a different request.")
	}
	if status == nil {
		return platform.Problem("CON-004", "A request with this Idempotency-Key is still being processed.")
	}
	var ans storedAnswer
	if err := json.Unmarshal(stored, &ans); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Idempotent-Replayed", "true")
	if ans.ETag != "" {
		h.Set("ETag", ans.ETag)
	}
	if ans.Location != "" {
		h.Set(echo.HeaderLocation, ans.Location)
	}
	if len(ans.Body) == 0 {
		return c.NoContent(*status)
	}
	return c.Blob(*status, ans.ContentType, ans.Body)
}

// storedAnswer is the first answer to an Idempotency-Key, replayed to retries.
type storedAnswer struct {
	ContentType string `json:"content_type"`
	ETag        string `json:"etag,omitempty"`
	Location    string `json:"location,omitempty"`
	Body        []byte `json:"body"`
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// Flush lets streamed answers (server-sent events) pass through the recorder.
func (r *recorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Sweep deletes expired Idempotency-Key records every interval until ctx ends
// (their stored answers may hold personal data, so they are not kept).
func (k *Kit) Sweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_ = k.Store.Expire(ctx, KeyTTL)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// spoolBody reads the request body within the route's limit into memory,
// or into a temporary file past the server's limit (platform.MemoryBodyLimit),
// writing it to h as it goes. It returns a reader over the body to hand on
// and the function that releases it.
func spoolBody(c echo.Context, h io.Writer) (io.ReadCloser, func(), error) {
	limit := platform.BodyLimit(c)
	src := http.MaxBytesReader(c.Response(), c.Request().Body, limit)
	tooLarge := func(err error) error {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return platform.Problem("VAL-004", fmt.Sprintf("The request body exceeds the limit of %d bytes.", limit))
		}
		return platform.Problem("VAL-002", "The request body could not be read.")
	}
	memory := platform.MemoryBodyLimit(c)
	head, err := io.ReadAll(io.LimitReader(src, memory+1))
	if err != nil {
		return nil, nil, tooLarge(err)
	}
	h.Write(head)
	if int64(len(head)) <= memory {
		return io.NopCloser(bytes.NewReader(head)), func() {}, nil
	}
	f, err := os.CreateTemp("", "astra-body-*")
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() { _ = f.Close(); _ = os.Remove(f.Name()) }
	if _, err := f.Write(head); err != nil {
		cleanup()
		return nil, nil, err
	}
	if _, err := io.Copy(io.MultiWriter(f, h), src); err != nil {
		cleanup()
		return nil, nil, tooLarge(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, nil, err
	}
	return io.NopCloser(f), cleanup, nil
}

// ForgetMentions deletes the tenant's Idempotency-Key records whose key or
// kept answer mention any of the values (compared case-insensitively): an
// erased subject's data must not survive in an answer kept for retries.
func (k *Kit) ForgetMentions(ctx context.Context, tenant string, values []string) (int, error) {
	var needles [][]byte
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			needles = append(needles, bytes.ToLower([]byte(v)))
		}
	}
	if len(needles) == 0 {
		return 0, nil
	}
	mentions := func(b []byte) bool {
		b = bytes.ToLower(b)
		for _, n := range needles {
			if bytes.Contains(b, n) {
				return true
			}
		}
		return false
	}
	return k.Store.ForgetWhere(ctx, tenant, func(key string, answer []byte) bool {
		var a storedAnswer
		return mentions([]byte(key)) || mentions(answer) || (json.Unmarshal(answer, &a) == nil && mentions(a.Body))
	})
}
