package iam

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Outbox delivers messages to users out of band (password-reset tokens).
type Outbox interface {
	// PasswordReset sends a reset token to an address for its user in one
	// tenant: an address may hold a user in several tenants, and each gets a
	// message of its own that names its tenant.
	PasswordReset(ctx context.Context, email string, tenant ResetTenant, token string) error
}

// ResetTenant is the tenant a reset message is for.
type ResetTenant struct {
	ID   string
	Name string
}

// NewOutbox delivers by SMTP when smtpURL is set
// (smtp://user:pass@host:port?from=astra@example.com), otherwise it writes each
// message as a file under dir (mode 0600) for the operator to relay.
func NewOutbox(smtpURL, dir string) (Outbox, error) {
	if smtpURL == "" {
		return &fileOutbox{dir: dir}, nil
	}
	u, err := url.Parse(smtpURL)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, fmt.Errorf("outbox: ASTRA_SMTP_URL must look like smtp://user:pass@host:port?from=…")
	}
	from := u.Query().Get("from")
	if from == "" {
		from = "astra@localhost"
	}
	return &smtpOutbox{u: u, from: from}, nil
}

func resetBody(tenant ResetTenant, token string) string {
	return "Someone asked to reset the password of your ASTRA BASTION account in the tenant " +
		strings.Map(printable, tenant.Name) + " (" + tenant.ID + ").\r\n\r\n" +
		"Reset token (valid 30 minutes, single use):\r\n\r\n" + token + "\r\n\r\n" +
		"POST /api/v1/auth/password/reset with {\"token\": …, \"new_password\": …}.\r\n" +
		"If it was not you, ignore this message.\r\n"
}

type fileOutbox struct{ dir string }

// printable keeps a tenant name from breaking the message (no control characters).
func printable(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}

// PasswordResetFile names the outbox file of a reset message for an address
// and the tenant of its user.
func PasswordResetFile(dir, email, tenantID string) string {
	clean := strings.NewReplacer("@", "_at_", "/", "_", "\\", "_")
	return filepath.Join(dir, "password-reset-"+clean.Replace(email)+"-"+clean.Replace(tenantID)+".txt")
}

func (o *fileOutbox) PasswordReset(_ context.Context, email string, tenant ResetTenant, token string) error {
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return err
	}
	msg := "To: " + email + "\r\nSubject: Reset your ASTRA BASTION password\r\nDate: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n\r\n" + resetBody(tenant, token)
	// Written aside and renamed, so that a reader never sees half a message.
	name := PasswordResetFile(o.dir, email, tenant.ID)
	if err := os.WriteFile(name+".tmp", []byte(msg), 0o600); err != nil {
		return err
	}
	return os.Rename(name+".tmp", name)
}

type smtpOutbox struct {
	u    *url.URL
	from string
}

func (o *smtpOutbox) PasswordReset(_ context.Context, email string, tenant ResetTenant, token string) error {
	host, _, err := net.SplitHostPort(o.u.Host)
	if err != nil {
		host = o.u.Host
	}
	var a smtp.Auth
	if o.u.User != nil {
		pw, _ := o.u.User.Password()
		a = smtp.PlainAuth("", o.u.User.Username(), pw, host)
	}
	msg := "From: " + o.from + "\r\nTo: " + email + "\r\nSubject: Reset your ASTRA BASTION password\r\n\r\n" + resetBody(tenant, token)
	return smtp.SendMail(o.u.Host, a, o.from, []string{email}, []byte(msg))
}

// Mailer sends a plain-text message: the platform's mail path (SMTP when
// ASTRA_SMTP_URL is set, otherwise a file in the outbox directory), shared
// by every module that mails (password resets here, notifications).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// MailFile names the outbox file of a message.
func MailFile(dir, to string, at time.Time) string {
	clean := strings.NewReplacer("@", "_at_", "/", "_", "\\", "_")
	return filepath.Join(dir, "mail-"+clean.Replace(to)+"-"+at.UTC().Format("20060102T150405.000000000")+".txt")
}

// Send writes the message as a file under the outbox directory.
func (o *fileOutbox) Send(_ context.Context, to, subject, body string) error {
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return err
	}
	now := time.Now()
	msg := "To: " + to + "\r\nSubject: " + strings.Map(printable, subject) + "\r\nDate: " + now.UTC().Format(time.RFC1123Z) + "\r\n\r\n" + body
	name := MailFile(o.dir, to, now)
	if err := os.WriteFile(name+".tmp", []byte(msg), 0o600); err != nil {
		return err
	}
	return os.Rename(name+".tmp", name)
}

// Send mails the message through the SMTP server.
func (o *smtpOutbox) Send(_ context.Context, to, subject, body string) error {
	host, _, err := net.SplitHostPort(o.u.Host)
	if err != nil {
		host = o.u.Host
	}
	var a smtp.Auth
	if o.u.User != nil {
		pw, _ := o.u.User.Password()
		a = smtp.PlainAuth("", o.u.User.Username(), pw, host)
	}
	msg := "From: " + o.from + "\r\nTo: " + to + "\r\nSubject: " + strings.Map(printable, subject) + "\r\n\r\n" + body
	return smtp.SendMail(o.u.Host, a, o.from, []string{to}, []byte(msg))
}
