package gateway

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestTmpPGProfile(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	counts := map[string]int{}
	total := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := pgx.Connect(ctx, "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
		if err != nil {
			return
		}
		defer conn.Close(context.Background())
		// wait for the sweep to start
		time.Sleep(14 * time.Second)
		end := time.Now().Add(8 * time.Second)
		for time.Now().Before(end) {
			rows, err := conn.Query(ctx, `SELECT coalesce(wait_event_type,'CPU'), coalesce(wait_event,''), left(regexp_replace(query, '\s+', ' ', 'g'), 70) FROM pg_stat_activity
				WHERE datname LIKE 'astra_bench_%' AND state = 'active' AND pid <> pg_backend_pid()`)
			if err != nil {
				return
			}
			for rows.Next() {
				var a, b, q string
				_ = rows.Scan(&a, &b, &q)
				if a == "Client" {
					continue
				}
				counts[a+"/"+b+" | "+q]++
				total++
			}
			rows.Close()
			time.Sleep(3 * time.Millisecond)
		}
	}()
	o := Options{Requests: 100, Warmup: 100, Rates: []int{300}, Step: 12 * time.Second}
	if _, err := Run(ctx, o); err != nil {
		t.Fatal(err)
	}
	<-done
	type kv struct {
		k string
		v int
	}
	var l []kv
	for k, v := range counts {
		l = append(l, kv{k, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
	fmt.Println("samples", total)
	for i, x := range l {
		if i > 35 {
			break
		}
		fmt.Printf("%5d %5.1f%% %s\n", x.v, 100*float64(x.v)/float64(total), strings.TrimSpace(x.k))
	}
}
