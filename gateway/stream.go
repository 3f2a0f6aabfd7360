package gateway

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	gw "github.com/astrabastion/astra/domain/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// holdback is how many trailing bytes of a stream are held until more text
// arrives, so that a card number or canary split across chunks is still seen
// whole before any of it reaches the client.
const holdback = 64

// StreamSink receives a stream's safe output.
type StreamSink interface {
	// Start is called once, before the first chunk: after it, a block can
	// only end the stream, not turn into an HTTP error.
	Start() error
	Chunk(text string) error
	// Parts passes a chunk's tool-call deltas, refusal fragment and logprobs
	// (its Delta is empty: text goes through Chunk, after the scan).
	Parts(ch providers.Chunk) error
	Done(finish string, usage providers.Usage, sec Security) error
	Abort(b *Blocked, sec Security) error
}

// ChatStream runs the pipeline (see steps.go) with the provider streaming:
// the input side as for Chat; then the provider step scans each chunk with a
// hold-back window (streamCall), personal data is redacted (or the stream
// ended) before it reaches the client, and a canary ends the stream. The
// audit event records what was done.
func (rt *Runtime) ChatStream(ctx context.Context, call *Call, sink StreamSink) (*Result, error) {
	r := rt.newRun(call)
	r.stream = &streamState{sink: sink, finish: "stop"}
	r.run(ctx, flowStream)
	res, err, st := r.result, r.err, r.stream
	if err != nil {
		return nil, err
	}
	switch {
	case res.Blocked != nil && !st.started:
		return res, nil // nothing sent yet: the handler answers with problem+json
	case res.Blocked != nil:
		return res, sink.Abort(res.Blocked, res.Security)
	}
	if !st.started {
		if err := sink.Start(); err != nil {
			return res, err
		}
	}
	return res, sink.Done(st.finish, r.usage, res.Security)
}

// streamState is what a streamed call's provider step leaves for the
// response-scan step and the answer.
type streamState struct {
	sink     StreamSink
	t        time.Time // when the provider call started
	err      error     // why the stream ended early (errCanary, errStreamPII: the scan)
	started  bool      // the client has been sent something
	redacted bool
	finish   string
}

// streamCall streams the provider's answer (its fallbacks tried while
// nothing was sent), scanning each chunk with a hold-back window: personal
// data is redacted, or the stream ended, before it reaches the client, and a
// canary ends the stream. The response-scan step records the scan's verdict.
func (r *run) streamCall(ctx context.Context) {
	rt, call, p, sink := r.rt, r.call, &r.policy.policy, r.stream.sink
	t := time.Now()
	started := false
	var pending, full strings.Builder
	var usage *providers.Usage
	finish := "stop"
	redacted, canary := false, false
	var calls toolCalls
	var refusal strings.Builder

	flush := func(final bool) error {
		text := pending.String()
		cut := len(text)
		if !final {
			cut = len(text) - holdback
			if cut <= 0 {
				return nil
			}
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
		}
		for _, c := range p.ResponseScan.Canaries {
			if c != "" && strings.Contains(text, c) {
				canary = true
				return errCanary
			}
		}
		var ents []PIIEntity
		if p.ResponseScan.Enabled && p.ResponseScan.PIIAction != gw.ActionAllow {
			ents = filterPII(rt.PII.Find(text, piiScope(p.PII)), gw.PIIRule{MinScore: p.PII.MinScore, Types: p.PII.Types})
			if len(ents) > 0 && p.ResponseScan.PIIAction == gw.ActionBlock {
				return errStreamPII
			}
			for _, e := range ents {
				if e.Start < cut && e.End > cut {
					cut = e.Start // never split an entity: hold it back whole
				}
			}
		}
		var inside []PIIEntity
		for _, e := range ents {
			if e.End <= cut {
				inside = append(inside, e)
			}
		}
		out := text[:cut]
		if len(inside) > 0 {
			out = rt.PII.Redact(out, inside)
			redacted = true
		}
		rest := text[cut:]
		pending.Reset()
		pending.WriteString(rest)
		if out == "" {
			return nil
		}
		if !started {
			started = true
			if err := sink.Start(); err != nil {
				return err
			}
		}
		full.WriteString(out)
		return sink.Chunk(out)
	}

	var streamErr error
	targets := append([]gw.Target{{Provider: call.Provider, Model: call.Req.Model}}, r.fallbacks()...)
	for i, tg := range targets {
		if i > 0 && started {
			continue
		}
		prov, model, err := r.target(ctx, i, tg)
		if errors.Is(err, errSkipped) {
			continue
		}
		if err != nil {
			streamErr = err
			if stopsCall(err) {
				break
			}
			continue
		}
		req := call.Req
		req.Model = model
		if streamErr = r.inject(ctx, prov, model); streamErr != nil {
			r.tried(prov, model, streamErr)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		streamErr = prov.p.ChatStream(ctx, req, func(ch providers.Chunk) error {
			if ch.Usage != nil {
				usage = ch.Usage
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
			if ch.Delta != "" {
				pending.WriteString(ch.Delta)
				if err := flush(false); err != nil {
					return err
				}
			}
			if len(ch.ToolCalls) == 0 && ch.Refusal == "" && ch.Logprobs == nil {
				return nil
			}
			// Text before a tool call reaches the client before it.
			if len(ch.ToolCalls) > 0 {
				if err := flush(true); err != nil {
					return err
				}
			}
			calls.add(ch.ToolCalls)
			refusal.WriteString(ch.Refusal)
			if !started {
				started = true
				if err := sink.Start(); err != nil {
					return err
				}
			}
			ch.Delta, ch.FinishReason, ch.Usage = "", "", nil
			return sink.Parts(ch)
		})
		if _, stop := streamErr.(streamStop); !stop {
			r.tried(prov, model, streamErr)
		}
		if streamErr == nil {
			r.prov, r.provName, r.sec.Provider = prov, prov.name, prov.name
			r.answeredBy = model
			streamErr = flush(true)
			break
		}
		if started || ctx.Err() != nil {
			break
		}
	}
	r.providerD = time.Since(t)
	r.stream.t, r.stream.err, r.stream.started, r.stream.redacted, r.stream.finish = t, streamErr, started, redacted, finish
	switch {
	case streamErr == errCanary || streamErr == errStreamPII:
		r.step(gw.StepProvider, t, "pass", 0, r.provName, "")
	case streamErr != nil:
		r.providerFailed(t, streamErr)
	default:
		r.step(gw.StepProvider, t, "pass", 0, r.provName, "")
	}
	_ = canary
	if usage != nil {
		r.usage = *usage
	} else {
		r.usage = providers.Usage{PromptTokens: providers.PromptTokens(call.Req.Messages), CompletionTokens: providers.EstimateTokens(full.String())}
		r.usage.TotalTokens = r.usage.PromptTokens + r.usage.CompletionTokens
	}
	msg := providers.Message{Role: "assistant", Content: full.String(), ToolCalls: calls.list}
	if refusal.Len() > 0 {
		s := refusal.String()
		msg.Refusal = &s
	}
	r.resp = &providers.ChatResponse{Model: call.Req.Model, Choices: []providers.Choice{{Message: msg, FinishReason: finish}}, Usage: r.usage}
}

// streamVerdict records the stream scan's verdict: a canary or blocked
// personal data ended the stream.
func (r *run) streamVerdict() {
	rt, st, t := r.rt, r.stream, r.stream.t
	if st.err == errCanary || st.err == errStreamPII {
		what := "a canary token"
		if st.err == errStreamPII {
			what = "personal data"
		}
		r.step(gw.StepResponseScan, t, "block", 0, strings.TrimPrefix(what, "a "), rt.PII.Version())
		r.block(gw.StepResponseScan, "GW-011", "The completion contained "+what+"; the stream was ended before it reached you.")
		r.actions = append(r.actions, "stream_terminated:"+strings.ReplaceAll(strings.TrimPrefix(what, "a "), " ", "_"))
		return
	}
	verdict := "pass"
	if st.redacted {
		verdict = "redact"
		r.actions = append(r.actions, "chunks_redacted")
	}
	r.step(gw.StepResponseScan, t, verdict, 0, "", rt.PII.Version())
}

type streamStop string

func (s streamStop) Error() string { return string(s) }

const (
	errCanary    streamStop = "canary"
	errStreamPII streamStop = "pii"
)

// toolCalls reassembles streamed tool-call deltas: a fragment extends the
// call its index names (id, type and name once; arguments concatenated).
type toolCalls struct {
	list []providers.ToolCall
	at   map[int]int // delta index → position in list
}

func (t *toolCalls) add(deltas []providers.ToolCall) {
	for _, d := range deltas {
		idx := len(t.list)
		if d.Index != nil {
			idx = *d.Index
		}
		if t.at == nil {
			t.at = map[int]int{}
		}
		pos, ok := t.at[idx]
		if !ok {
			pos = len(t.list)
			t.at[idx] = pos
			t.list = append(t.list, providers.ToolCall{Type: "function", Function: &providers.FunctionCall{}})
		}
		c := &t.list[pos]
		if d.ID != "" {
			c.ID = d.ID
		}
		if d.Type != "" {
			c.Type = d.Type
		}
		if d.Function != nil {
			c.Function.Name += d.Function.Name
			c.Function.Arguments += d.Function.Arguments
		}
	}
}
