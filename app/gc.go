package app

import (
	"os"
	"runtime/debug"
)

// tuneGC sets the garbage collector's target from ASTRA_GC_PERCENT (default
// 400) unless GOGC is set. The gateway allocates per request (JSON, the
// pipeline's trace, the audit event) while its live heap stays small, so Go's
// default of 100 collects very often: at 700 requests/s on two cores, 400
// lowered the process's CPU per request by about a tenth and kept up with a
// rate that 100 did not (README, Benchmarks), for a heap that peaks at about
// five times the live data instead of twice.
func tuneGC(cfg Config) {
	if cfg.GCPercent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.GCPercent)
	}
}

// releaseStartupMemory hands the garbage of starting (catalogues, models and
// the OpenAPI document parsed once) back to the operating system. Under a
// GC target of 400 that garbage would otherwise stay resident: at start the
// live heap is ~30 MB while the process held ~135 MB of anonymous memory.
func releaseStartupMemory() { debug.FreeOSMemory() }
