package gateway

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clockTick is the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// selfCPU is the CPU time this process has used (user + system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU reads a process's CPU time from /proc (0 when unreadable).
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * clockTick
}

// cpuMeter measures the CPU used by this process and by the Postgres
// backends serving the bench database (other databases on the same server,
// and Postgres's shared background processes, are not counted).
type cpuMeter struct {
	pool *pgxpool.Pool
}

type cpuSnapshot struct {
	self time.Duration
	pg   map[int]time.Duration
}

func (m cpuMeter) snapshot(ctx context.Context) cpuSnapshot {
	s := cpuSnapshot{self: selfCPU(), pg: map[int]time.Duration{}}
	rows, err := m.pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return s
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			s.pg[pid] = procCPU(pid)
		}
	}
	return s
}

// since is the CPU used between two snapshots: this process, Postgres backends
// (a backend that started in between counts from zero; one that ended is lost).
func (m cpuMeter) since(ctx context.Context, before cpuSnapshot) (self, pg time.Duration) {
	after := m.snapshot(ctx)
	self = after.self - before.self
	for pid, t := range after.pg {
		pg += t - before.pg[pid]
	}
	return self, pg
}

// waitCaughtUp waits until the relay and the gateway projection have applied
// everything in the ledger (the asynchronous half of each request's cost),
// and returns how long that took.
func waitCaughtUp(ctx context.Context, pool *pgxpool.Pool, bound time.Duration) time.Duration {
	start := time.Now()
	for time.Since(start) < bound && ctx.Err() == nil {
		var head, relayed, projected int64
		err := pool.QueryRow(ctx, `SELECT (SELECT position FROM ledger_head WHERE id = 1),
			(SELECT position FROM relay_checkpoint WHERE id = 1),
			coalesce((SELECT max(last_position) FROM projection_offsets WHERE projection = 'gateway' AND topic = 'astra.gateway'), 0)`).
			Scan(&head, &relayed, &projected)
		if err == nil && relayed >= head && projected >= head {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(start)
}
