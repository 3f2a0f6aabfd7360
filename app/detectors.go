package app

import (
	"github.com/astrabastion/astra/domain/gateway/injection"
	"github.com/astrabastion/astra/domain/gateway/pii"
	"github.com/astrabastion/astra/gateway"
)

// injectionAdapter gives the runtime the prompt-injection detector.
type injectionAdapter struct{ d *injection.Detector }

func (a injectionAdapter) ScanText(text string, document bool) (float64, []string) {
	var r injection.Result
	if document {
		r = a.d.ScanDocument(text)
	} else {
		r = a.d.Scan(text)
	}
	return r.Score, r.Patterns
}

func (a injectionAdapter) Version() string { return injection.Version }

func (a injectionAdapter) DefaultThreshold() float64 { return injection.DefaultThreshold }

// piiAdapter gives the runtime the PII detector and placeholder redaction.
type piiAdapter struct{ d *pii.Detector }

func (a piiAdapter) Find(text string, scope gateway.PIIScope) []gateway.PIIEntity {
	sc := pii.Scope{Types: pii.DefaultTypes(), Region: scope.PhoneRegion}
	for _, t := range scope.Include {
		// Policies are validated on write: an unknown name cannot get here, and is ignored if it does.
		if extra, err := pii.TypeSetOf(t); err == nil {
			sc.Types |= extra
		}
	}
	ents := a.d.FindWith(text, sc)
	out := make([]gateway.PIIEntity, len(ents))
	for i, e := range ents {
		out[i] = gateway.PIIEntity{Type: e.Type, Start: e.Start, End: e.End, Score: e.Score}
	}
	return out
}

func (a piiAdapter) Redact(text string, ents []gateway.PIIEntity) string {
	in := make([]pii.Entity, len(ents))
	for i, e := range ents {
		in[i] = pii.Entity{Type: e.Type, Start: e.Start, End: e.End, Value: text[e.Start:e.End], Score: e.Score}
	}
	return pii.Redact(text, in, pii.StylePlaceholder)
}

func (a piiAdapter) Version() string { return "pii-" + pii.Version }

func detectorNames() (families, types []string) {
	for _, f := range injection.Families() {
		families = append(families, f.Name)
	}
	for _, t := range pii.Types() {
		types = append(types, t.Type)
	}
	return families, types
}
