package catalogue

import (
	"github.com/astrabastion/astra/domain/compliance"
	"github.com/astrabastion/astra/domain/risk"
)

// owaspLLM is the OWASP Top 10 for LLM Applications 2025, built from the risk
// module's threat catalogue so both modules share one list. Each entry is a
// risk; an assessment records whether it is mitigated.
func owaspLLM() compliance.Framework {
	f := compliance.Framework{ID: OWASPLLM, Name: "OWASP Top 10 for LLM Applications", Version: "2025", Publisher: "OWASP Foundation (GenAI Security Project)",
		Source: "https://genai.owasp.org/llm-top-10/", Kind: compliance.KindBuiltin, Scale: compliance.Percent}
	for _, t := range risk.Catalogue {
		if t.Framework == "OWASP LLM Top 10" {
			f.Requirements = append(f.Requirements, compliance.Requirement{ID: t.ID, Class: compliance.ClassRisk, Title: t.Name,
				Description: t.Description, Assessable: true})
		}
	}
	return f
}
