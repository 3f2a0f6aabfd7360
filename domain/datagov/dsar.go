package datagov

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/iam"
)

// Types of data subject requests.
const (
	DsarAccess        = "access"
	DsarErasure       = "erasure"
	DsarRectification = "rectification"
	DsarPortability   = "portability"
)

// DsarTypes lists the request types.
var DsarTypes = []string{DsarAccess, DsarErasure, DsarRectification, DsarPortability}

// Jurisdictions whose deadlines the module knows.
const (
	GDPR = "gdpr"
	CCPA = "ccpa"
)

// Identity verification states.
const (
	VerificationPending = "pending"
	Verified            = "verified"
	VerificationFailed  = "failed"
)

// Request statuses.
const (
	StatusOpen      = "open"
	StatusFulfilled = "fulfilled"
	StatusRejected  = "rejected"
)

// VerificationAttested is the method recorded when the person fulfilling a
// request whose identity check is still pending attests to it.
const VerificationAttested = "attested_by_fulfiller"

// DueDate is when a request received at received must be answered: GDPR
// Art. 12(3) one month, counted here as 30 days; CCPA/CPRA 45 days.
func DueDate(jurisdiction string, received time.Time) time.Time {
	if jurisdiction == CCPA {
		return received.AddDate(0, 0, 45)
	}
	return received.AddDate(0, 0, 30)
}

// ExtendedDueDate is the due date after the one extension the law allows:
// GDPR two further months, CCPA/CPRA 45 further days.
func ExtendedDueDate(jurisdiction string, due time.Time) time.Time {
	if jurisdiction == CCPA {
		return due.AddDate(0, 0, 45)
	}
	return due.AddDate(0, 2, 0)
}

// SubjectKey names the data key the personal fields of request dsarID are
// sealed under: one key per request (a subject erased once may ask again),
// all of a subject's under SubjectKeyPrefix, which erasure destroys.
func SubjectKey(tenantID, ref, dsarID string) string { return SubjectKeyPrefix(tenantID, ref) + dsarID }

// SubjectKeyPrefix is what the keys of one subject's requests start with
// (ref from SubjectRef).
func SubjectKeyPrefix(tenantID, ref string) string { return "data_gov/" + tenantID + "/" + ref + "/" }

// SubjectRef identifies a subject without personal data: "user-<id>" for a
// user of the tenant, else a keyed hash of the normalised e-mail address (a
// bare hash of an address could be confirmed by hashing guesses).
func SubjectRef(hashKey []byte, userID, email string) string {
	if userID != "" {
		return "user-" + userID
	}
	return EmailRef(hashKey, email)
}

// EmailRef is the keyed-hash reference of an e-mail address.
func EmailRef(hashKey []byte, email string) string {
	m := hmac.New(sha256.New, hashKey)
	m.Write([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "email-" + hex.EncodeToString(m.Sum(nil))[:40]
}

// NewDsar decides the DsarReceived of d received at now: a known type, a
// jurisdiction (gdpr when none), a subject named by user id or e-mail
// address, and the legal due date. Personal fields are sealed by the caller.
func NewDsar(d DsarReceivedV1, now time.Time) (*DsarReceivedV1, error) {
	if !slices.Contains(DsarTypes, d.Type) {
		return nil, fmt.Errorf("%w: type must be access, erasure, rectification or portability", ErrInvalidDsar)
	}
	if d.Jurisdiction == "" {
		d.Jurisdiction = GDPR
	}
	if d.Jurisdiction != GDPR && d.Jurisdiction != CCPA {
		return nil, fmt.Errorf("%w: jurisdiction must be gdpr or ccpa", ErrInvalidDsar)
	}
	if d.SubjectEmail != "" {
		e, err := iam.NormalizeEmail(d.SubjectEmail)
		if err != nil {
			return nil, fmt.Errorf("%w: subject_email is not an e-mail address", ErrInvalidDsar)
		}
		d.SubjectEmail = e
	}
	if d.SubjectEmail == "" && d.SubjectUserID == "" {
		return nil, fmt.Errorf("%w: name the subject by subject_email or subject_user_id", ErrInvalidDsar)
	}
	d.ReceivedAt = now.UTC()
	d.DueAt = DueDate(d.Jurisdiction, d.ReceivedAt)
	return &d, nil
}

// Dsar is a request as commands decide on it, folded from its stream.
type Dsar struct {
	TenantID      string
	Type          string
	Jurisdiction  string
	SubjectUserID string
	// SubjectEmail and SubjectName are sealed as recorded.
	SubjectEmail string
	SubjectName  string
	SubjectKey   string
	Status       string
	Verification string
	DueAt        time.Time
	Extended     bool
	// AlertedDue is the due date an overdue alert was raised for.
	AlertedDue time.Time
}

// Received folds DsarReceived.
func (s *Dsar) Received(d *DsarReceivedV1) {
	*s = Dsar{TenantID: d.TenantID, Type: d.Type, Jurisdiction: d.Jurisdiction, SubjectUserID: d.SubjectUserID, SubjectEmail: d.SubjectEmail,
		SubjectName: d.SubjectName, SubjectKey: d.SubjectKey, Status: StatusOpen, Verification: VerificationPending, DueAt: d.DueAt}
}

// Fold applies the request's later events.
func (s *Dsar) Fold(e any) {
	switch d := e.(type) {
	case *DsarIdentityVerifiedV1:
		s.Verification = d.State
	case *DsarExtendedV1:
		s.Extended, s.DueAt = true, d.DueAt
	case *DsarOverdueV1:
		s.AlertedDue = d.DueAt
	case *DsarRejectedV1:
		s.Status = StatusRejected
	case *DsarFulfilledV1:
		s.Status = StatusFulfilled
	}
}

// open refuses a request that is not the tenant's or is closed.
func (s *Dsar) open(tenant string) error {
	switch {
	case s.TenantID == "" || s.TenantID != tenant:
		return ErrDsarNotFound
	case s.Status != StatusOpen:
		return fmt.Errorf("%w: it is %s", ErrDsarClosed, s.Status)
	}
	return nil
}

// Verify decides the outcome of the identity check of request id.
func (s *Dsar) Verify(tenant, id, state, method, note string) (*DsarIdentityVerifiedV1, error) {
	if err := s.open(tenant); err != nil {
		return nil, err
	}
	if state != Verified && state != VerificationFailed {
		return nil, fmt.Errorf("%w: state must be verified or failed", ErrInvalidDsar)
	}
	if strings.TrimSpace(method) == "" {
		return nil, fmt.Errorf("%w: say how the identity was checked (method)", ErrInvalidDsar)
	}
	return &DsarIdentityVerifiedV1{DsarID: id, State: state, Method: method, Note: note}, nil
}

// Extend decides the one extension of request id, with its reason.
func (s *Dsar) Extend(tenant, id, reason string) (*DsarExtendedV1, error) {
	if err := s.open(tenant); err != nil {
		return nil, err
	}
	if s.Extended {
		return nil, ErrExtended
	}
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: an extension needs a reason", ErrInvalidDsar)
	}
	return &DsarExtendedV1{DsarID: id, Reason: reason, DueAt: ExtendedDueDate(s.Jurisdiction, s.DueAt)}, nil
}

// Overdue decides the overdue alert of request id at now: nil unless it is
// open, past its due date and not alerted for that date yet (scans repeat).
func (s *Dsar) Overdue(tenant, id string, now time.Time) *DsarOverdueV1 {
	if s.open(tenant) != nil || now.Before(s.DueAt) || s.AlertedDue.Equal(s.DueAt) {
		return nil
	}
	return &DsarOverdueV1{DsarID: id, DueAt: s.DueAt}
}

// Reject decides closing request id without fulfilment.
func (s *Dsar) Reject(tenant, id, reason string) (*DsarRejectedV1, error) {
	if err := s.open(tenant); err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" {
		return nil, fmt.Errorf("%w: a rejection needs a reason", ErrInvalidDsar)
	}
	return &DsarRejectedV1{DsarID: id, Reason: reason}, nil
}

// Fulfillable refuses to fulfil a request that is closed or whose requester
// failed the identity check. It returns the attestation to record first when
// the check is still pending: whoever fulfils attests to the identity.
func (s *Dsar) Fulfillable(tenant, id string) (*DsarIdentityVerifiedV1, error) {
	if err := s.open(tenant); err != nil {
		return nil, err
	}
	switch s.Verification {
	case VerificationFailed:
		return nil, ErrIdentityNotVerified
	case VerificationPending:
		return &DsarIdentityVerifiedV1{DsarID: id, State: Verified, Method: VerificationAttested}, nil
	}
	return nil, nil
}
