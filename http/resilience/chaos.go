package resilience

import "github.com/astrabastion/astra/http/platform"

// chaosRoutes are the chaos experiment routes (the chaos slice).
func (a *API) chaosRoutes(p, r, w string) []platform.Route { _ = experimentID; return nil }
