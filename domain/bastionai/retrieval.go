package bastionai

import (
	"math"
	"sort"
	"strings"
	"unicode"
)

// Chunking defaults: about 200 words a chunk, a quarter of it repeated in
// the next so that a sentence cut at a boundary is whole in one of them.
const (
	DefaultChunkSize = 900
	DefaultOverlap   = 200
	MaxChunkSize     = 4000
)

// Chunk is one piece of a document as the index holds it.
type Chunk struct {
	Ordinal int    `json:"ordinal"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Text    string `json:"text"`
}

// Split cuts text into chunks of at most size bytes that overlap by about
// overlap bytes, cutting at whitespace (a word longer than size is cut
// where it must). Offsets are byte offsets into text.
func Split(text string, size, overlap int) []Chunk {
	if size <= 0 {
		size = DefaultChunkSize
	}
	if overlap < 0 || overlap >= size {
		overlap = size / 4
	}
	var out []Chunk
	n := len(text)
	start := skipSpace(text, 0)
	for start < n {
		end := start + size
		if end >= n {
			end = n
		} else if cut := lastSpace(text, start, end); cut > start+size/2 {
			end = cut
		}
		end = runeBoundary(text, end)
		piece := strings.TrimSpace(text[start:end])
		if piece != "" {
			out = append(out, Chunk{Ordinal: len(out), Start: start, End: end, Text: piece})
		}
		if end >= n {
			break
		}
		next := end - overlap
		if next <= start {
			next = end
		}
		// Start the next chunk at a word.
		if sp := strings.IndexFunc(text[next:end], unicode.IsSpace); sp >= 0 && next+sp < end {
			next += sp
		}
		start = skipSpace(text, runeBoundary(text, next))
	}
	return out
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
		i++
	}
	return i
}

func lastSpace(s string, from, to int) int {
	for i := to; i > from; i-- {
		if s[i-1] == ' ' || s[i-1] == '\n' || s[i-1] == '\t' {
			return i
		}
	}
	return -1
}

// runeBoundary moves i back to the start of the UTF-8 sequence it is in.
func runeBoundary(s string, i int) int {
	for i > 0 && i < len(s) && s[i]&0xC0 == 0x80 {
		i--
	}
	return i
}

// RRFK is the constant of reciprocal rank fusion (Cormack et al., 2009).
const RRFK = 60

// Fuse merges rankings (each a list of ids, best first) by reciprocal rank
// fusion: score(d) = Σ 1/(k + rank). Ties keep the first ranking's order.
func Fuse(k int, rankings ...[]string) []Scored {
	score := map[string]float64{}
	first := map[string]int{}
	n := 0
	for _, r := range rankings {
		for i, id := range r {
			score[id] += 1 / float64(k+i+1)
			if _, ok := first[id]; !ok {
				first[id] = n
				n++
			}
		}
	}
	out := make([]Scored, 0, len(score))
	for id, s := range score {
		out = append(out, Scored{ID: id, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return first[out[i].ID] < first[out[j].ID]
	})
	return out
}

// Scored is an id with its fused score.
type Scored struct {
	ID    string
	Score float64
}

// Cosine is the cosine similarity of two vectors (0 when either is zero or
// their lengths differ).
func Cosine(a, b []float32) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return 0
	}
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / (math.Sqrt(na) * math.Sqrt(nb))
}

// Quality is retrieval quality over a labelled set.
type Quality struct {
	Questions int     `json:"questions"`
	RecallAt5 float64 `json:"recall_at_5"`
	MRR       float64 `json:"mrr"`
}

// Measure scores ranked answers against the expected id of each question:
// recall@5 is the share of questions whose expected id is among the first
// five, MRR the mean of 1/rank of the expected id (0 when absent).
func Measure(expected []string, ranked [][]string) Quality {
	q := Quality{Questions: len(expected)}
	if len(expected) == 0 {
		return q
	}
	var hits, rr float64
	for i, want := range expected {
		for r, id := range ranked[i] {
			if id == want {
				if r < 5 {
					hits++
				}
				rr += 1 / float64(r+1)
				break
			}
		}
	}
	q.RecallAt5 = hits / float64(len(expected))
	q.MRR = rr / float64(len(expected))
	return q
}
