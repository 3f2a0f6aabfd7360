package app

import (
	"context"
	"log/slog"
	"time"
)

// Every is a worker that runs scan at once and then every interval until its
// context ends, with the time of each run (UTC). A failed run is logged and
// the next one tries again: scans that catch up on what is due (expiries,
// retention) need no other retry.
func Every(name string, interval time.Duration, log *slog.Logger, scan func(ctx context.Context, now time.Time) error) Worker {
	return Worker{Name: name, Run: func(ctx context.Context) error {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if err := scan(ctx, time.Now().UTC()); err != nil && ctx.Err() == nil {
				log.Warn(name+": scan failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
			}
		}
	}}
}
