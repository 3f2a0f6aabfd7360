// Package catalogue holds the built-in framework catalogues of the Compliance
// module and the cross-framework mappings between them. Identifiers and the
// short official titles are facts taken from each publication; every
// description is written in our own words and is no substitute for the
// publication, whose URL each framework carries.
package catalogue

import (
	"fmt"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
)

// IDs of the built-in frameworks.
const (
	EUAIAct   = "eu-ai-act-2024"
	NISTAIRMF = "nist-ai-rmf-1.0"
	ISO42001  = "iso-iec-42001-2023"
	NISTCSF   = "nist-csf-2.0"
	SOC2      = "aicpa-soc2-tsc-2017"
	ISO27001  = "iso-iec-27001-2022"
	GDPR      = "eu-gdpr-2016-679"
	OWASPLLM  = "owasp-llm-top10-2025"
)

// All returns the built-in frameworks, freshly built: callers may change them.
func All() []compliance.Framework {
	return []compliance.Framework{
		euAIAct(), nistAIRMF(), iso42001(), nistCSF(), soc2(), iso27001(), gdpr(), owaspLLM(),
	}
}

// ByID returns the built-in framework with the given ID.
func ByID(id string) (compliance.Framework, bool) {
	for _, f := range All() {
		if f.ID == id {
			return f, true
		}
	}
	return compliance.Framework{}, false
}

// table reads a catalogue table: one requirement a line, fields separated by
// " | ": class (a trailing "*" marks it assessable), id, parent id ("-" for a
// root), title, description, and optionally comma-separated tags. Blank lines
// and lines starting with "#" are skipped. A malformed line panics: tables are
// compiled in and the tests build every one.
func table(src string) []compliance.Requirement {
	var out []compliance.Requirement
	for n, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, " | ")
		if len(f) < 5 || len(f) > 6 {
			panic(fmt.Sprintf("catalogue: line %d has %d fields: %q", n+1, len(f), line))
		}
		class, assessable := strings.CutSuffix(f[0], "*")
		r := compliance.Requirement{Class: compliance.Class(class), Assessable: assessable, ID: f[1], Title: f[3], Description: f[4]}
		if f[2] != "-" {
			r.ParentID = f[2]
		}
		if len(f) == 6 {
			r.Tags = strings.Split(f[5], ",")
		}
		out = append(out, r)
	}
	return out
}
