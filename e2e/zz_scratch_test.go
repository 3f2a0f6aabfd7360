package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/astrabastion/astra/testkit"
)

func TestScratchIdemAfterCrash(t *testing.T) {
	cfg := processConfig(t)
	p := testkit.StartProcess(t, cfg)
	token := login(t, p.URL, testkit.AdminEmail, testkit.AdminPassword)
	var stop atomic.Bool
	var mu sync.Mutex
	var lost []string
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				k := fmt.Sprintf("idem-%d-%d", w, i)
				_, err := call(http.MethodPost, p.URL+"/api/v1/iam/users", token, map[string]string{"email": k + "@i.test", "name": k, "role": "viewer"}, "Idempotency-Key", k)
				if err != nil {
					mu.Lock()
					lost = append(lost, k)
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(2 * time.Second)
	stop.Store(true)
	p.Kill()
	wg.Wait()
	p = testkit.StartProcess(t, cfg)
	for _, k := range lost {
		a := mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/users", token, map[string]string{"email": k + "@i.test", "name": k, "role": "viewer"}, "Idempotency-Key", k)
		t.Logf("retry %s: %d %.200s", k, a.Status, a.Body)
	}
	time.Sleep(3 * time.Second)
	for _, k := range lost[:1] {
		a := mustCall(t, http.MethodPost, p.URL+"/api/v1/iam/users", token, map[string]string{"email": k + "@i.test", "name": k, "role": "viewer"}, "Idempotency-Key", k)
		t.Logf("retry again %s: %d %.200s", k, a.Status, a.Body)
	}
}
