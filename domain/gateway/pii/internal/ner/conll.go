package ner

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// CoNLLSpan is one labelled span of a CoNLL sentence, by byte offsets in the sentence's text, with
// the file's own label ("person", "corporation" …).
type CoNLLSpan struct {
	Start, End int
	Type       string
}

// ReadCoNLL reads a CoNLL file (WNUT-17: one token and its BIO tag a line, sentences separated by
// blank lines) and calls f with each sentence's text — its tokens joined by spaces — and spans. keep
// selects the labels to report; the others are read as outside any span.
func ReadCoNLL(data []byte, keep func(label string) bool, f func(text string, spans []CoNLLSpan)) error {
	var text strings.Builder
	var spans []CoNLLSpan
	flush := func() {
		if text.Len() > 0 {
			f(text.String(), spans)
		}
		text.Reset()
		spans = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		tok, tag, ok := strings.Cut(line, "\t")
		if !ok {
			return fmt.Errorf("ner: conll: bad line %q", line)
		}
		if text.Len() > 0 {
			text.WriteByte(' ')
		}
		start := text.Len()
		text.WriteString(tok)
		bio, label, _ := strings.Cut(tag, "-")
		switch last := len(spans) - 1; {
		case !keep(label):
		case bio == "B" || last < 0 || spans[last].Type != label || spans[last].End != start-1:
			spans = append(spans, CoNLLSpan{Start: start, End: text.Len(), Type: label})
		default:
			spans[last].End = text.Len()
		}
	}
	flush()
	return sc.Err()
}
