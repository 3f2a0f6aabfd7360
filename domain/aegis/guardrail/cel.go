package guardrail

import (
	"fmt"
	"strings"
	"sync"

	"github.com/google/cel-go/cel"
)

// celCostLimit bounds one evaluation of an expression (CEL's cost units), so
// that an administrator's expression cannot stall the gateway.
const celCostLimit = 100_000

var (
	celOnce sync.Once
	celEnv  *cel.Env
	celErr  error
)

// environment is the CEL environment of guardrail expressions: one variable,
// `request`, a map with
//
//	model, provider, agent_id, api_key_id  string
//	messages  list of {role, content}
//	prompt    the user messages' text joined by blank lines
//	tools     list of tool names declared or called
//	chars     number of characters of every message
func environment() (*cel.Env, error) {
	celOnce.Do(func() {
		celEnv, celErr = cel.NewEnv(cel.Variable("request", cel.MapType(cel.StringType, cel.DynType)))
	})
	return celEnv, celErr
}

func celMatcher(expr string) (matcher, error) {
	if strings.TrimSpace(expr) == "" || len(expr) > MaxExpression {
		return nil, invalid("config.expression", fmt.Sprintf("a CEL expression of 1 to %d characters", MaxExpression))
	}
	env, err := environment()
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%w: config.expression: %s", ErrInvalid, strings.ReplaceAll(iss.Err().Error(), "\n", " "))
	}
	if ast.OutputType() != cel.BoolType && ast.OutputType() != cel.DynType {
		return nil, invalid("config.expression", "a CEL expression of type bool")
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("%w: config.expression: %v", ErrInvalid, err)
	}
	return func(in *Input, _ bool) (string, bool) {
		out, _, err := prg.Eval(map[string]any{"request": in.celRequest()})
		if err != nil {
			// An expression that fails on this input (a missing key, the
			// cost limit) does not match; it never blocks by accident.
			return "", false
		}
		if b, ok := out.Value().(bool); ok && b {
			return "expression matched", true
		}
		return "", false
	}, nil
}

// celRequest is the input as CEL's `request`.
func (in *Input) celRequest() map[string]any {
	msgs := make([]any, 0, len(in.Messages))
	var prompt []string
	chars := 0
	for _, m := range in.Messages {
		var parts []string
		for _, t := range m.Texts {
			if t != nil {
				parts = append(parts, *t)
				chars += len([]rune(*t))
			}
		}
		content := strings.Join(parts, "\n")
		msgs = append(msgs, map[string]any{"role": m.Role, "content": content})
		if m.Role == "user" {
			prompt = append(prompt, content)
		}
	}
	tools := make([]any, len(in.Tools))
	for i, t := range in.Tools {
		tools[i] = t
	}
	return map[string]any{"model": in.Model, "provider": in.Provider, "agent_id": in.AgentID, "api_key_id": in.APIKeyID,
		"messages": msgs, "prompt": strings.Join(prompt, "\n\n"), "tools": tools, "chars": int64(chars)}
}
