package app

import (
	"fmt"
	"sort"
	"strings"

	"github.com/astrabastion/astra/http/platform"
)

// errorDocsIntro opens docs/errors.md.
const errorDocsIntro = `# API error catalogue

Every error response of the ASTRA BASTION API is an RFC 7807 problem document
served as ` + "`" + `application/problem+json` + "`" + `:

` + "`" + `` + "`" + `` + "`" + `json
{
  "type": "https://api.astrabastion.com/errors/VAL-001",
  "title": "Validation failed",
  "status": 400,
  "detail": "The request is invalid: email must be a valid e-mail address.",
  "instance": "/api/v1/iam/users",
  "error_code": "VAL-001",
  "request_id": "req_3f9a0c1b2d4e5f607182",
  "timestamp": "2025-01-02T15:04:05Z",
  "errors": [{ "field": "email", "message": "must be a valid e-mail address" }]
}
` + "`" + `` + "`" + `` + "`" + `

- ` + "`" + `error_code` + "`" + ` is the stable, machine-readable identifier: branch on it, not on
  ` + "`" + `title` + "`" + ` or ` + "`" + `detail` + "`" + `. A code is never reused for another meaning.
- ` + "`" + `detail` + "`" + ` is human-readable and may change between releases.
- ` + "`" + `errors` + "`" + ` lists per-field problems and is omitted when there are none.
- ` + "`" + `request_id` + "`" + ` is also sent in the ` + "`" + `X-Request-ID` + "`" + ` header; quote it when
  reporting a problem. Server-side logs carry the real cause of ` + "`" + `SYS-001` + "`" + `
  errors, which is never disclosed in the response.
- ` + "`" + `HEAD` + "`" + ` requests receive the status and headers only.

The tables below are the source of truth for clients. This file is generated
from the error codes the platform (` + "`" + `http/platform/catalogue.go` + "`" + `) and each
module's descriptor (` + "`" + `app/module_<name>.go` + "`" + `) declare: run ` + "`" + `astra docs errors >
docs/errors.md` + "`" + ` after adding a code; a test fails when the file is stale.

`

// errorDocsOutro closes docs/errors.md.
const errorDocsOutro = `## Fallback codes (` + "`HTTP-nnn`" + `)

An HTTP 4xx status raised by the HTTP framework that has no catalogue code
(for example 406 or 408) is reported with ` + "`error_code` `HTTP-<status>`" + ` (e.g.
` + "`HTTP-406`" + `) and the standard reason phrase as ` + "`title`" + `. These are not part of
the catalogue above; clients should treat them by status.
`

// platformSections are the platform's own code groups: before the modules'
// (validation, authentication) or after them (concurrency, limits, system).
var platformSections = []struct {
	prefix, title, note string
	after               bool
}{
	{prefix: "VAL", title: "Validation"},
	{prefix: "AUTH", title: "Authentication and authorisation", note: "401 responses also carry `WWW-Authenticate: Bearer realm=\"astra\"`."},
	{prefix: "CON", title: "Concurrency and idempotency", after: true},
	{prefix: "RATE", title: "Rate limiting", after: true},
	{prefix: "SYS", title: "System", after: true},
}

// ErrorDocs renders docs/errors.md from the platform's codes and every
// registered module's.
func ErrorDocs() string {
	var b strings.Builder
	b.WriteString(errorDocsIntro)
	section := func(title string, codes []string, note string) {
		if len(codes) == 0 {
			return
		}
		sort.Strings(codes)
		fmt.Fprintf(&b, "\n## %s (`%s`)\n\n| Code | Status | Title | When |\n| --- | --- | --- | --- |\n", title, prefixOf(codes[0]))
		for _, c := range codes {
			e := platform.Catalogue[c]
			fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", c, e.Status, e.Title, strings.ReplaceAll(e.Description, "|", "\\|"))
		}
		if note != "" {
			fmt.Fprintf(&b, "\n%s\n", note)
		}
	}
	byPrefix := map[string][]string{}
	for c := range platform.Catalogue {
		byPrefix[prefixOf(c)] = append(byPrefix[prefixOf(c)], c)
	}
	for _, s := range platformSections {
		if !s.after {
			section(s.title, byPrefix[s.prefix], s.note)
		}
	}
	for _, m := range Modules() {
		prefixes := map[string]bool{}
		for c := range m.Errors {
			prefixes[prefixOf(c)] = true
		}
		var ps []string
		for p := range prefixes {
			ps = append(ps, p)
		}
		sort.Strings(ps)
		for _, p := range ps {
			var codes []string
			for c := range m.Errors {
				if prefixOf(c) == p {
					codes = append(codes, c)
				}
			}
			section(m.title(), codes, "")
		}
	}
	for _, s := range platformSections {
		if s.after {
			section(s.title, byPrefix[s.prefix], s.note)
		}
	}
	b.WriteString("\n" + errorDocsOutro)
	return b.String()
}

func prefixOf(code string) string {
	p, _, _ := strings.Cut(code, "-")
	return p
}
