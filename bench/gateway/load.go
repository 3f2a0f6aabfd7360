package gateway

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Target is one way of sending a chat completion: straight to the mock, or
// through the gateway.
type Target struct {
	Name    string
	URL     string
	Headers map[string]string
	// Body builds the JSON body of request i (unique prompts unless the
	// caller wants cache hits).
	Body func(i int64) []byte
	// Pipeline reads the gateway's own pipeline latency from each answer
	// (the X-Astra-Pipeline-Latency-Ms header, else security.pipeline_latency_ms).
	Pipeline bool
}

// newClient is a keep-alive client with a connection per worker.
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}}
}

// sample is the outcome of one request.
type sample struct {
	latency  time.Duration
	pipeline time.Duration // the gateway's pipeline_latency_ms, when reported
	err      error
}

// send makes one request and reads the whole answer.
func send(ctx context.Context, c *http.Client, t *Target, i int64, buf *bytes.Buffer) sample {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(t.Body(i)))
	if err != nil {
		return sample{err: err}
	}
	req.Header["Content-Type"] = []string{"application/json"}
	for k, v := range t.Headers {
		req.Header[k] = []string{v}
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return sample{err: err}
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	s := sample{latency: time.Since(start), err: err}
	if err == nil && resp.StatusCode != http.StatusOK {
		s.err = fmt.Errorf("%s: status %d: %.300s", t.Name, resp.StatusCode, buf.Bytes())
	}
	if s.err == nil && t.Pipeline {
		if h := resp.Header.Get("X-Astra-Pipeline-Latency-Ms"); h != "" {
			if f, err := strconv.ParseFloat(h, 64); err == nil {
				s.pipeline = time.Duration(f * 1e6)
			}
		} else {
			s.pipeline = pipelineLatency(buf.Bytes())
		}
	}
	return s
}

var pipelineKey = []byte(`"pipeline_latency_ms":`)

func pipelineLatency(b []byte) time.Duration {
	i := bytes.Index(b, pipelineKey)
	if i < 0 {
		return 0
	}
	b = b[i+len(pipelineKey):]
	j := bytes.IndexAny(b, ",}")
	if j < 0 {
		return 0
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b[:j])), 64)
	if err != nil {
		return 0
	}
	return time.Duration(f * 1e6)
}

// Sequential sends n requests one after the other to each target, alternating
// between them request by request, so that machine noise lands on every
// target alike. It returns one sample list per target.
func Sequential(ctx context.Context, n int, seq *atomic.Int64, targets ...*Target) ([][]sample, error) {
	c := newClient(len(targets))
	defer c.CloseIdleConnections()
	out := make([][]sample, len(targets))
	var buf bytes.Buffer
	for range n {
		i := seq.Add(1)
		for k, t := range targets {
			s := send(ctx, c, t, i, &buf)
			if s.err != nil {
				return nil, s.err
			}
			out[k] = append(out[k], s)
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return out, nil
}

// OpenLoopResult is one open-loop run.
type OpenLoopResult struct {
	Target    string
	Rate      int           // requested per second
	Duration  time.Duration // of the schedule
	Sent      int64
	OK        int64
	Errors    int64
	FirstErr  error
	Achieved  float64 // successful answers per second of wall time until the last answer
	Latency   Dist    // from the scheduled send time (includes any queueing in the client)
	Pipeline  Dist    // the gateway's own pipeline latency, when reported
	Unstarted int64   // scheduled but never sent: the client had no free worker before the deadline
}

// OpenLoop sends at a fixed rate for dur, whatever the answers' latency
// (an open loop: a slow server does not slow the schedule down). workers
// bounds the requests in flight; latency is measured from each request's
// scheduled time, so time spent waiting for a worker counts (no coordinated
// omission). The run stops by itself: after dur plus grace every request
// still waiting or in flight is cancelled and counted as an error.
func OpenLoop(ctx context.Context, t *Target, rate int, dur time.Duration, workers int, grace time.Duration, seq *atomic.Int64) OpenLoopResult {
	res := OpenLoopResult{Target: t.Name, Rate: rate, Duration: dur}
	total := int64(float64(rate) * dur.Seconds())
	if total < 1 {
		total = 1
	}
	c := newClient(workers)
	defer c.CloseIdleConnections()
	runCtx, cancel := context.WithTimeout(ctx, dur+grace)
	defer cancel()

	due := make(chan time.Time, total)
	var mu sync.Mutex
	var lat, pipe []time.Duration
	var okN, errN, sentN atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	var lastDone atomic.Int64
	start := time.Now().Add(20 * time.Millisecond)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			var myLat, myPipe []time.Duration
			defer func() {
				mu.Lock()
				lat = append(lat, myLat...)
				pipe = append(pipe, myPipe...)
				mu.Unlock()
			}()
			for at := range due {
				if runCtx.Err() != nil {
					return
				}
				sentN.Add(1)
				s := send(runCtx, c, t, seq.Add(1), &buf)
				if s.err != nil {
					errN.Add(1)
					firstErr.CompareAndSwap(nil, s.err)
					continue
				}
				now := time.Now()
				okN.Add(1)
				lastDone.Store(now.UnixNano())
				myLat = append(myLat, now.Sub(at))
				if s.pipeline > 0 {
					myPipe = append(myPipe, s.pipeline)
				}
			}
		}()
	}
	interval := float64(time.Second) / float64(rate)
	for i := range total {
		at := start.Add(time.Duration(float64(i) * interval))
		if d := time.Until(at); d > 0 {
			time.Sleep(d) // short (one interval at most, or the start delay)
		}
		if runCtx.Err() != nil {
			break
		}
		due <- at
	}
	close(due)
	wg.Wait()
	res.Sent, res.OK, res.Errors = sentN.Load(), okN.Load(), errN.Load()
	res.Unstarted = total - res.Sent
	if e, ok := firstErr.Load().(error); ok {
		res.FirstErr = e
	}
	if res.OK > 0 {
		res.Achieved = float64(res.OK) / (float64(lastDone.Load()-start.UnixNano()) / 1e9)
	}
	res.Latency, res.Pipeline = NewDist(lat), NewDist(pipe)
	return res
}
