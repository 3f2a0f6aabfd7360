package iam

import (
	"context"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	"github.com/astrabastion/astra/domain/iam"
	"github.com/astrabastion/astra/http/platform"
	rmiam "github.com/astrabastion/astra/projections/iam"
)

// maxSignInCandidates bounds the users a sign-in without tenant checks the
// password against (one argon2id check each).
const maxSignInCandidates = 10

// tenantRequired answers a sign-in without tenant whose address and password
// match users of several tenants.
func tenantRequired() error {
	return platform.Problem("IAM-022", "This address signs in to several tenants; repeat the sign-in with tenant (its id or name).")
}

// signInAccount chooses the user a password sign-in is for. E-mail addresses
// are unique per tenant, so an address may belong to several users:
//   - with tenant (an id or a name), only that tenant's user counts (an
//     unknown tenant finds nobody);
//   - without, a single user not deactivated is the one, as is a lone
//     deactivated one (whose sign-in then fails as before);
//   - with several, the password is checked against each (at most
//     maxSignInCandidates, in a fixed order) without recording anything: the
//     one it matches is the one; when none does, the first, so that the
//     caller's sign-in fails and is recorded as usual; when several do,
//     IAM-022 asks for tenant.
//
// nil means no user holds the address (the caller spends a dummy check).
func (a *API) signInAccount(ctx context.Context, email, tenant, password string) (*rmiam.Credentials, error) {
	tenantID := ""
	if tenant != "" {
		id, err := a.Queries.TenantIDByRef(ctx, tenant)
		if err != nil || id == "" {
			return nil, err
		}
		tenantID = id
	}
	creds, err := a.Queries.CredentialsByEmail(ctx, email, tenantID, maxSignInCandidates)
	if err != nil || len(creds) == 0 {
		return nil, err
	}
	var live []rmiam.Credentials
	for _, c := range creds {
		if c.Status != iam.StatusDeactivated {
			live = append(live, c)
		}
	}
	switch len(live) {
	case 0:
		return &creds[0], nil
	case 1:
		return &live[0], nil
	}
	var match *rmiam.Credentials
	for i := range live {
		ok, err := a.Commands.PasswordMatches(ctx, cmdiam.LoginInput{UserID: live[i].ID, TenantID: live[i].TenantID,
			Status: live[i].Status, PasswordHash: live[i].PasswordHash, Password: password})
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if match != nil {
			return nil, tenantRequired()
		}
		match = &live[i]
	}
	if match == nil {
		return &live[0], nil
	}
	return match, nil
}
