package bastionai_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/astrabastion/astra/domain/bastionai"
	"github.com/astrabastion/astra/domain/compliance/catalogue"
	rm "github.com/astrabastion/astra/projections/bastionai"
)

// BenchmarkRAGSearch times GET /rag/search (BM25 over the ~800 built-in
// requirement chunks, through HTTP with authentication and the envelope),
// cycling through the generated keyword questions.
func BenchmarkRAGSearch(b *testing.B) {
	in := startInstance(b)
	admin := in.AdminToken(b)
	var qs []string
	for _, q := range bastionai.RequirementQuestions(catalogue.All(), rm.RequirementChunkID) {
		if q.Set == bastionai.SetKeywords {
			qs = append(qs, q.Question)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := in.DoRaw(b, http.MethodGet, api+"/rag/search?k=10&scope=requirements&q="+url.QueryEscape(qs[i%len(qs)]), admin, nil)
		if r.Status != http.StatusOK {
			b.Fatalf("%d %s", r.Status, r.Body)
		}
	}
}
