package app

import (
	"fmt"

	cmdiam "github.com/astrabastion/astra/commands/iam"
	cmdsso "github.com/astrabastion/astra/commands/sso"
	"github.com/astrabastion/astra/http/auth"
	httpsso "github.com/astrabastion/astra/http/sso"
	"github.com/astrabastion/astra/http/writes"
	"github.com/astrabastion/astra/netguard"
	rmiam "github.com/astrabastion/astra/projections/iam"
	rmsso "github.com/astrabastion/astra/projections/sso"
)

// newSSO assembles single sign-on: the outbound policy that guards issuer
// URLs (ASTRA_ALLOW_PRIVATE_URLS, at configuration and at every connection),
// the TLS roots for identity providers (ASTRA_OUTBOUND_CA_FILE), the commands
// and the HTTP API.
func newSSO(cfg Config, st *Stack, commands *cmdiam.Handlers, users *rmiam.Queries, signer *auth.Signer, kit *writes.Kit) (*httpsso.API, error) {
	guard, err := netguard.New(cfg.AllowPrivateURLs)
	if err != nil {
		return nil, fmt.Errorf("ASTRA_ALLOW_PRIVATE_URLS: %w", err)
	}
	roots, err := netguard.RootsWithFile(cfg.OutboundCAFile)
	if err != nil {
		return nil, fmt.Errorf("ASTRA_OUTBOUND_CA_FILE: %w", err)
	}
	return &httpsso.API{
		Commands:  &cmdsso.Handlers{Store: st.Store, Keys: st.Keys, IAM: commands, Guard: guard},
		Queries:   &rmsso.Queries{Runner: st.Runner},
		Users:     users,
		Signer:    signer,
		Writes:    kit,
		States:    &rmsso.LoginStates{Pool: st.Pool},
		RP:        &httpsso.RelyingParty{Client: guard.Client(netguard.ClientOptions{RootCAs: roots, HTTPSOnly: true})},
		PublicURL: cfg.PublicURL,
	}, nil
}
