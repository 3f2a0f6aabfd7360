package auth

import (
	"context"
	"testing"

	"github.com/astrabastion/astra/domain/iam"
)

// BenchmarkEffective measures what narrowing adds to an API key's request
// once the owner's access is in memory (the gateway's hot path).
func BenchmarkEffective(b *testing.B) {
	perms := iam.PermissionsOf(iam.RoleDeveloper)
	p := &Principals{Resolve: func(context.Context, string) (UserAccess, error) {
		return UserAccess{TenantID: "t", Roles: []string{iam.RoleDeveloper}, Active: true, Permissions: perms}, nil
	}}
	a := &Authenticator{Principals: p}
	base := &Principal{Subject: "k", Owner: "u", Kind: "api_key", TenantID: "t", Permissions: []string{"gateway:read", "gateway:write"}}
	ctx := context.Background()
	if _, err := a.Effective(ctx, base); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Effective(ctx, base); err != nil {
			b.Fatal(err)
		}
	}
}
