package bastionai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/gateway"
	"github.com/astrabastion/astra/gateway/providers"
)

// MaxRounds bounds the model's tool-call rounds per question.
const MaxRounds = 6

// DefaultModel is the model asked when the tenant chose none: the
// gateway's built-in mock answers it for a tenant without providers.
const DefaultModel = "mock/bastion-ai"

// SystemPrompt frames every conversation.
const SystemPrompt = "You are BASTION AI, the assistant of the ASTRA BASTION trust and security platform. " +
	"Answer only from what the tools return about this tenant's own posture; when a tool reports that permission is denied, " +
	"say that the user cannot see that data and do not guess it. Name the ids of the records you rely on."

// Turn is what the assistant did for one question.
type Turn struct {
	Answer    string
	ToolCalls []bastionai.ToolUse
	Citations []bastionai.Citation
	// Requests are the gateway request ids of the LLM calls, in order.
	Requests []string
	Provider string
	Model    string
}

// Progress receives what the assistant does as it does it (SSE); nil when
// the answer is given whole. With a Progress every model call is streamed
// through the gateway (ChatStream: each chunk scanned with its hold-back
// window before it is passed on) and Delta receives the answer's text as it
// comes.
type Progress interface {
	ToolCalled(use bastionai.ToolUse)
	Delta(text string)
	Answered(text string)
}

// Assistant asks the tenant's chosen model, through the gateway pipeline,
// with the read-only tools the asker may use.
type Assistant struct {
	Gateway *gateway.Runtime
	Posture *Posture
}

// Call is one assistant request.
type Call struct {
	Caller    gateway.Caller
	Who       Asker
	Provider  string
	Model     string
	RequestID string
	// History are earlier turns of the conversation (question, answer).
	History []providers.Message
	// Prompt is the user's message as the model reads it.
	Prompt string
	// Tools offers the tools the asker may use (Only narrows them).
	Tools bool
	Only  []string
	// System replaces the system prompt's instructions (RAG).
	System string
	// Retrieved are sources fetched before the first call: they reach the
	// model as the result of a search_documents call it made, so that the
	// gateway reads them as documents (tool results), not as the user's words.
	Retrieved any
}

// BlockedError is a request the gateway refused on the way to (or back
// from) the model: the caller answers the gateway's own problem.
type BlockedError struct{ Blocked *gateway.Blocked }

func (e *BlockedError) Error() string {
	return "bastion_ai: the gateway blocked the assistant's call: " + e.Blocked.Error()
}

// Ask runs the tool loop: each model call goes through the gateway's
// pipeline (policy, injection and PII scanning, budgets, the audit record
// gateway.RequestCompleted), each tool call runs with the asker's
// permissions, and the loop ends with the model's text.
func (a *Assistant) Ask(ctx context.Context, c Call, progress Progress) (*Turn, error) {
	model := c.Model
	if model == "" {
		model = DefaultModel
	}
	turn := &Turn{Provider: c.Provider, Model: model, ToolCalls: []bastionai.ToolUse{}, Citations: []bastionai.Citation{}, Requests: []string{}}
	system := SystemPrompt
	if c.System != "" {
		system = c.System
	}
	msgs := append([]providers.Message{{Role: "system", Content: system + context0(c.Who)}}, c.History...)
	msgs = append(msgs, providers.Message{Role: "user", Content: c.Prompt})
	if c.Retrieved != nil {
		body, err := json.Marshal(c.Retrieved)
		if err != nil {
			return nil, err
		}
		args, _ := json.Marshal(map[string]string{"query": c.Prompt})
		msgs = append(msgs, providers.Message{Role: "assistant", ContentNull: true, ToolCalls: []providers.ToolCall{{ID: "call_retrieval", Type: "function",
			Function: &providers.FunctionCall{Name: "search_documents", Arguments: string(args)}}}},
			providers.Message{Role: "tool", ToolCallID: "call_retrieval", Content: string(body)})
	}
	var tools []providers.Tool
	if c.Tools {
		for _, t := range Allowed(c.Who.Permissions) {
			if len(c.Only) > 0 && !slices.Contains(c.Only, t.Name) {
				continue
			}
			tools = append(tools, providers.Tool{Type: "function", Function: &providers.FunctionDef{Name: t.Name, Description: t.Description, Parameters: t.Parameters}})
		}
	}
	seen := map[string]bool{}
	for round := 0; round < MaxRounds; round++ {
		call := &gateway.Call{Caller: c.Caller, Endpoint: "bastion_ai", Provider: c.Provider, RequestID: uuid.Must(uuid.NewV7()).String(),
			Correlation: c.RequestID, Req: providers.ChatRequest{Model: model, Messages: msgs, Tools: tools}}
		var res *gateway.Result
		var err error
		if progress != nil {
			res, err = a.stream(ctx, call, progress)
		} else {
			res, err = a.Gateway.Chat(ctx, call)
		}
		if err != nil {
			return nil, err
		}
		turn.Requests = append(turn.Requests, call.RequestID)
		if res.Blocked != nil {
			return turn, &BlockedError{Blocked: res.Blocked}
		}
		if res.Security.Provider != "" {
			turn.Provider = res.Security.Provider
		}
		if res.Response == nil || len(res.Response.Choices) == 0 {
			return turn, bastionai.ErrNoAnswer
		}
		msg := res.Response.Choices[0].Message
		if len(msg.ToolCalls) == 0 || len(tools) == 0 {
			turn.Answer = msg.Content
			if progress != nil {
				progress.Answered(turn.Answer)
			}
			return turn, nil
		}
		msg.Role = "assistant"
		msgs = append(msgs, msg)
		for _, tc := range msg.ToolCalls {
			name, args := "", ""
			if tc.Function != nil {
				name, args = tc.Function.Name, tc.Function.Arguments
			}
			out, use, err := RunTool(ctx, a.Posture, c.Who, name, args)
			if err != nil {
				return nil, err
			}
			use.ID = tc.ID
			turn.ToolCalls = append(turn.ToolCalls, use)
			for _, ci := range out.Citations {
				if k := ci.Kind + "/" + ci.ID; !seen[k] {
					seen[k] = true
					turn.Citations = append(turn.Citations, ci)
				}
			}
			if progress != nil {
				progress.ToolCalled(use)
			}
			body, err := json.Marshal(out.Data)
			if err != nil {
				return nil, fmt.Errorf("bastion_ai: tool %s result: %w", name, err)
			}
			msgs = append(msgs, providers.Message{Role: "tool", ToolCallID: tc.ID, Content: string(body)})
		}
	}
	return turn, bastionai.ErrNoAnswer
}

// streamSink collects a streamed answer: text passed on as it clears the
// gateway's scan, tool-call fragments assembled by index.
type streamSink struct {
	progress Progress
	text     strings.Builder
	calls    []providers.ToolCall
	blocked  *gateway.Blocked
}

func (s *streamSink) Start() error { return nil }

func (s *streamSink) Chunk(text string) error {
	s.text.WriteString(text)
	if text != "" {
		s.progress.Delta(text)
	}
	return nil
}

func (s *streamSink) Parts(ch providers.Chunk) error {
	for _, tc := range ch.ToolCalls {
		i := len(s.calls)
		if tc.Index != nil {
			i = *tc.Index
		}
		for len(s.calls) <= i {
			s.calls = append(s.calls, providers.ToolCall{Type: "function", Function: &providers.FunctionCall{}})
		}
		c := &s.calls[i]
		if tc.ID != "" {
			c.ID = tc.ID
		}
		if tc.Function != nil {
			c.Function.Name += tc.Function.Name
			c.Function.Arguments += tc.Function.Arguments
		}
	}
	return nil
}

func (s *streamSink) Done(string, providers.Usage, gateway.Security) error { return nil }

func (s *streamSink) Abort(b *gateway.Blocked, _ gateway.Security) error {
	s.blocked = b
	return nil
}

// stream makes one model call streamed through the gateway and answers it
// as a whole result (its text and tool calls) once it ended.
func (a *Assistant) stream(ctx context.Context, call *gateway.Call, progress Progress) (*gateway.Result, error) {
	call.Req.Stream = true
	sink := &streamSink{progress: progress}
	res, err := a.Gateway.ChatStream(ctx, call, sink)
	if err != nil {
		return nil, err
	}
	if res.Blocked == nil && sink.blocked != nil {
		res.Blocked = sink.blocked
	}
	if res.Blocked != nil {
		return res, nil
	}
	msg := providers.Message{Role: "assistant", Content: sink.text.String(), ToolCalls: sink.calls}
	if len(sink.calls) > 0 {
		msg.ContentNull = msg.Content == ""
	}
	res.Response = &providers.ChatResponse{Model: call.Req.Model, Choices: []providers.Choice{{Message: msg}}}
	return res, nil
}

// context0 tells the model the moment the question is about.
func context0(who Asker) string {
	if who.AsOf == nil {
		return " The time now is " + who.Now.UTC().Format(time.RFC3339) + "."
	}
	return " The user asks about the state as of " + who.AsOf.UTC().Format(time.RFC3339) +
		": pass as_of to the tools that take it."
}

// IsBlocked reports a gateway block.
func IsBlocked(err error) (*gateway.Blocked, bool) {
	var b *BlockedError
	if errors.As(err, &b) {
		return b.Blocked, true
	}
	return nil, false
}

// RAGPrompt is the system prompt of rag/query.
const RAGPrompt = "You are BASTION AI. Answer the user's question from the sources search_documents returned only, " +
	"naming the [n] of each source you use; when they do not answer it, say so."

// Embed computes vectors through the gateway's embeddings path (the same
// pipeline: PII redaction, budgets, the audit record).
func (a *Assistant) Embed(ctx context.Context, caller gateway.Caller, provider, model, requestID string, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	call := &gateway.Call{Caller: caller, Endpoint: "embeddings", Provider: provider, RequestID: uuid.Must(uuid.NewV7()).String(), Correlation: requestID}
	res, err := a.Gateway.Embeddings(ctx, call, model, texts)
	if err != nil {
		return nil, err
	}
	if res.Blocked != nil {
		return nil, &BlockedError{Blocked: res.Blocked}
	}
	out := make([][]float32, len(texts))
	for _, e := range res.Embeddings.Data {
		if e.Index < 0 || e.Index >= len(out) {
			continue
		}
		v := make([]float32, len(e.Embedding))
		for i, x := range e.Embedding {
			v[i] = float32(x)
		}
		out[e.Index] = v
	}
	return out, nil
}
