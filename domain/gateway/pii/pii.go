package pii

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
)

// Version identifies the recognizers, tables and scores of this package. The gateway records it with
// every pipeline step, so change it whenever a change can alter what Find returns (retraining the
// name tagger included).
const Version = "2.2.0"

// Entity types reported by Find.
const (
	TypeCreditCard      = "CREDIT_CARD"
	TypeIBAN            = "IBAN_CODE"
	TypeUSSSN           = "US_SSN"
	TypeUSITIN          = "US_ITIN"
	TypeEmail           = "EMAIL_ADDRESS"
	TypePhone           = "PHONE_NUMBER"
	TypeIPAddress       = "IP_ADDRESS"
	TypeURL             = "URL"
	TypeCrypto          = "CRYPTO"
	TypeAPIKey          = "API_KEY"
	TypePrivateKey      = "PRIVATE_KEY"
	TypeSecret          = "SECRET"
	TypeUSBankNumber    = "US_BANK_NUMBER"
	TypeABARouting      = "ABA_ROUTING_NUMBER"
	TypeUKNHS           = "UK_NHS"
	TypeUSDriverLicense = "US_DRIVER_LICENSE"
	TypeDateTime        = "DATE_TIME"
	TypePerson          = "PERSON"
	TypeLocation        = "LOCATION"
	TypeOrganization    = "ORGANIZATION"
	TypeStreetAddress   = "STREET_ADDRESS"
)

// Scoring defaults; see the package documentation.
const (
	// DefaultMinScore is the score below which candidates are not reported.
	DefaultMinScore = 0.5
	// ContextBoost is added to a candidate's score when a context word of its type is near it.
	ContextBoost = 0.35
	// DefaultContextBefore and DefaultContextAfter are the context window, in bytes around a candidate.
	DefaultContextBefore = 48
	DefaultContextAfter  = 32
)

// DefaultPhoneRegions are the regions whose national number formats are tried, in this order, for
// phone numbers written without an international prefix.
var DefaultPhoneRegions = []string{
	"US", "GB", "DE", "FR", "IN", "CA", "AU", "ES", "IT", "NL", "BE", "CH", "AT", "SE", "NO", "DK",
	"FI", "PL", "PT", "IE", "BR", "MX",
}

// Entity is one detected span of text.
type Entity struct {
	Type       string  `json:"type"`
	Start      int     `json:"start"` // byte offset of the first byte
	End        int     `json:"end"`   // byte offset just past the last byte
	Value      string  `json:"value"` // text[Start:End]
	Score      float64 `json:"score"`
	Recognizer string  `json:"recognizer"`
}

// TypeInfo describes one entity type of the catalogue.
type TypeInfo struct {
	Type           string   `json:"type"`
	Description    string   `json:"description"`
	Validation     string   `json:"validation"`
	Recognizers    []string `json:"recognizers"`
	ContextWords   []string `json:"context_words,omitempty"`
	DefaultEnabled bool     `json:"default_enabled"`
}

// Types returns the catalogue of entity types, in a stable order.
func Types() []TypeInfo {
	out := make([]TypeInfo, 0, len(catalogue))
	for _, t := range catalogue {
		ti := t.info
		ti.Type = t.typ
		ti.DefaultEnabled = t.defaultOn
		ti.ContextWords = slices.Clone(contextWords[t.typ])
		for _, r := range recognizers {
			if r.typ != t.typ {
				continue
			}
			for _, n := range r.emitted() {
				if !slices.Contains(ti.Recognizers, n) {
					ti.Recognizers = append(ti.Recognizers, n)
				}
			}
		}
		out = append(out, ti)
	}
	return out
}

// KnownType reports whether name is an entity type of the catalogue.
func KnownType(name string) bool {
	for _, t := range catalogue {
		if t.typ == name {
			return true
		}
	}
	return false
}

type catalogueEntry struct {
	typ       string
	defaultOn bool
	info      TypeInfo
}

var catalogue = []catalogueEntry{
	{TypeCreditCard, true, TypeInfo{Description: "Payment card number (PAN)", Validation: "Luhn checksum, issuer (IIN) ranges and lengths"}},
	{TypeIBAN, true, TypeInfo{Description: "International bank account number", Validation: "country length table, ISO 7064 mod-97"}},
	{TypeUSSSN, true, TypeInfo{Description: "US social security number", Validation: "area/group/serial rules, known invalid numbers"}},
	{TypeUSITIN, true, TypeInfo{Description: "US individual taxpayer identification number", Validation: "9xx area, IRS group ranges"}},
	{TypeEmail, true, TypeInfo{Description: "E-mail address", Validation: "dot-atom local part, host name with alphabetic TLD"}},
	{TypePhone, true, TypeInfo{Description: "Telephone number", Validation: "libphonenumber metadata (IsValidNumber) for the default regions or the international prefix"}},
	{TypeIPAddress, true, TypeInfo{Description: "IPv4 or IPv6 address", Validation: "net/netip parsing"}},
	{TypeURL, false, TypeInfo{Description: "URL (http, https, ftp, www.)", Validation: "host name or IP address"}},
	{TypeCrypto, true, TypeInfo{Description: "Cryptocurrency wallet address (Bitcoin, Ethereum)", Validation: "base58check, bech32/bech32m, EIP-55"}},
	{TypeAPIKey, true, TypeInfo{Description: "Vendor API key or bearer token (AWS, GitHub, Slack, Stripe, OpenAI, Anthropic, Google, JWT)", Validation: "vendor formats, GitHub CRC-32, JWT header decoding"}},
	{TypePrivateKey, true, TypeInfo{Description: "PEM private key block", Validation: "BEGIN/END armour with matching labels"}},
	{TypeSecret, true, TypeInfo{Description: "Password or secret assigned after a keyword (password=, api_key:, token …)", Validation: "placeholder filter and Shannon entropy threshold"}},
	{TypeUSBankNumber, true, TypeInfo{Description: "US bank account number (context required)", Validation: "8–17 digits, account context"}},
	{TypeABARouting, true, TypeInfo{Description: "US ABA routing transit number", Validation: "3-7-1 weighted checksum, Federal Reserve prefixes"}},
	{TypeUKNHS, true, TypeInfo{Description: "UK NHS number", Validation: "mod-11 check digit"}},
	{TypeUSDriverLicense, true, TypeInfo{Description: "US driver's license number (context required)", Validation: "state formats, licence context"}},
	{TypeDateTime, false, TypeInfo{Description: "Date or time expression", Validation: "calendar validation"}},
	{TypePerson, false, TypeInfo{Description: "Name of a person", Validation: "sequence tagger over name gazetteers, titles, capitalisation and context"}},
	{TypeLocation, false, TypeInfo{Description: "Place name: city, region or country", Validation: "sequence tagger over place gazetteers (GeoNames, CLDR country names) and context"}},
	{TypeOrganization, false, TypeInfo{Description: "Name of a company or organisation", Validation: "sequence tagger over legal-form suffixes (Inc, GmbH, S.A. …), capitalisation and context"}},
	{TypeStreetAddress, false, TypeInfo{Description: "Street address (house number, street, unit)", Validation: "sequence tagger over street words, house numbers and context"}},
}

// TypeSet is a set of entity types of the catalogue.
type TypeSet uint32

// Has reports whether the set holds typ.
func (s TypeSet) Has(typ string) bool {
	i := typeIndex(typ)
	return i >= 0 && s&(1<<i) != 0
}

// Names lists the types of the set in catalogue order.
func (s TypeSet) Names() []string {
	var out []string
	for i, t := range catalogue {
		if s&(1<<i) != 0 {
			out = append(out, t.typ)
		}
	}
	return out
}

// UnknownTypeError names an entity type that is not in the catalogue.
type UnknownTypeError struct{ Name string }

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("pii: unknown entity type %q (known: %s)", e.Name, strings.Join(TypeNames(), ", "))
}

// TypeNames lists every entity type of the catalogue, in catalogue order.
func TypeNames() []string {
	out := make([]string, len(catalogue))
	for i, t := range catalogue {
		out[i] = t.typ
	}
	return out
}

// TypeSetOf returns the set of the named types; an unknown name is an *UnknownTypeError.
func TypeSetOf(types ...string) (TypeSet, error) {
	var s TypeSet
	for _, t := range types {
		i := typeIndex(t)
		if i < 0 {
			return 0, &UnknownTypeError{Name: t}
		}
		s |= 1 << i
	}
	return s, nil
}

// DefaultTypes is the set of the types whose TypeInfo.DefaultEnabled is true.
func DefaultTypes() TypeSet {
	var s TypeSet
	for i, t := range catalogue {
		if t.defaultOn {
			s |= 1 << i
		}
	}
	return s
}

// Scope narrows one call of FindWith.
type Scope struct {
	// Types are the entity types to look for, among those the detector was built with; 0 means all
	// of them.
	Types TypeSet
	// Region (ISO 3166 alpha-2, e.g. "AU") is the default region of national phone numbers: it is
	// tried before the detector's regions, and numbers of a possible length for it (local numbers
	// without an area code included) are reported when context or their shape says they are phone
	// numbers. "" keeps the detector's regions. An unknown region is ignored (see KnownRegion).
	Region string
}

// Option configures New.
type Option func(*config)

type config struct {
	types     map[string]bool
	without   []string
	minScore  float64
	regions   []string
	ctxBefore int
	ctxAfter  int
}

// WithTypes restricts detection to the given entity types (unknown names are ignored). Without it,
// the types whose TypeInfo.DefaultEnabled is true are detected.
func WithTypes(types ...string) Option {
	return func(c *config) {
		c.types = map[string]bool{}
		for _, t := range types {
			if KnownType(t) {
				c.types[t] = true
			}
		}
	}
}

// WithAllTypes enables every entity type of the catalogue, including those off by default.
func WithAllTypes() Option {
	return func(c *config) {
		c.types = map[string]bool{}
		for _, t := range catalogue {
			c.types[t.typ] = true
		}
	}
}

// WithoutTypes disables the given entity types, whatever the order of the options.
func WithoutTypes(types ...string) Option {
	return func(c *config) { c.without = append(c.without, types...) }
}

// WithMinScore sets the minimum score of reported entities (default DefaultMinScore).
func WithMinScore(s float64) Option {
	return func(c *config) { c.minScore = s }
}

// WithPhoneRegions sets the regions (ISO 3166 alpha-2, e.g. "US", "GB") tried in order for phone
// numbers written in national format. Unknown regions are ignored. Default DefaultPhoneRegions.
func WithPhoneRegions(regions ...string) Option {
	return func(c *config) { c.regions = slices.Clone(regions) }
}

// WithContextWindow sets how many bytes before and after a candidate are searched for context words.
func WithContextWindow(before, after int) Option {
	return func(c *config) { c.ctxBefore, c.ctxAfter = max(0, before), max(0, after) }
}

// Detector finds entities in text. It is immutable after New and safe for concurrent use.
type Detector struct {
	minScore  float64
	ctxBefore int
	ctxAfter  int
	enabled   TypeSet
	recs      []*recognizer
	phone     *phoneValidator
	tagger    *ner.Tagger
}

// New builds a Detector. All tables and patterns are prepared here, once.
func New(opts ...Option) *Detector {
	c := config{types: map[string]bool{}, minScore: DefaultMinScore, regions: DefaultPhoneRegions,
		ctxBefore: DefaultContextBefore, ctxAfter: DefaultContextAfter}
	for _, t := range catalogue {
		c.types[t.typ] = t.defaultOn
	}
	for _, o := range opts {
		o(&c)
	}
	for _, t := range c.without {
		delete(c.types, t)
	}
	d := &Detector{minScore: c.minScore, ctxBefore: c.ctxBefore, ctxAfter: c.ctxAfter}
	bmpProps() // the folding's rune table, so that no Find pays for it
	for _, r := range recognizers {
		if c.types[r.typ] {
			d.recs = append(d.recs, r)
			d.enabled |= 1 << typeIndex(r.typ)
		}
	}
	if d.enabled.Has(TypePhone) {
		d.phone = newPhoneValidator(c.regions)
	}
	if d.enabled&nameTypes != 0 {
		d.tagger = nameTagger()
	}
	return d
}

// Enabled reports whether the detector looks for the given entity type.
func (d *Detector) Enabled(typ string) bool { return d.enabled.Has(typ) }

// Types returns the set of entity types the detector looks for.
func (d *Detector) Types() TypeSet { return d.enabled }

// MinScore returns the minimum score of reported entities.
func (d *Detector) MinScore() float64 { return d.minScore }

// recognizer is one candidate finder. find appends validated candidates to s.
type recognizer struct {
	name  string
	typ   string
	find  func(d *Detector, s *scan)
	emits []string // the Entity.Recognizer values it reports, when not just name
	bit   TypeSet  // typ's bit
}

func init() {
	for _, r := range recognizers {
		r.bit = 1 << typeIndex(r.typ)
	}
}

func (r *recognizer) emitted() []string {
	if len(r.emits) > 0 {
		return r.emits
	}
	return []string{r.name}
}

// candidate is a validated match before context scoring and overlap resolution.
type candidate struct {
	start, end int
	score      float64
	typ        string
	rec        string
}

// scan is the per-call state of Find; pooled to keep Find nearly allocation-free.
type scan struct {
	text       string // the folded text the recognizers read
	orig       string // the caller's text
	folded     folding
	region     *phoneRegion // the call's default phone region, nil for none
	tagged     bool         // the name tagger has run: its spans are in names
	names      []ner.Span
	tagScratch ner.Scratch
	lowerBuf   []byte
	lowered    bool
	cands      []candidate
	ctxIndexed bool
	ctxHits    []ctxHit
	ctxAll     uint32 // union of the types of ctxHits
	digits     []byte
	groupsDone bool
	groups     [][2]int
	taken      []uint64 // bytes covered by accepted entities, during resolve
	strong     [][2]int // spans of strongly validated candidates, for the phone recognizer
}

var scanPool = sync.Pool{New: func() any { return &scan{} }}

// lower returns the ASCII-lowercased text (same byte offsets as the text).
func (s *scan) lower() []byte {
	if !s.lowered {
		s.lowerBuf = append(s.lowerBuf[:0], s.text...)
		for i, b := range s.lowerBuf {
			if 'A' <= b && b <= 'Z' {
				s.lowerBuf[i] = b + 32
			}
		}
		s.lowered = true
	}
	return s.lowerBuf
}

// add records a candidate unless even a context boost could not lift it to the minimum score.
func (s *scan) add(d *Detector, typ, rec string, start, end int, score float64) {
	if start < 0 || end > len(s.text) || start >= end {
		return
	}
	if score+ContextBoost < d.minScore {
		return
	}
	if score < d.minScore && !s.contextSomewhere(typ) {
		return
	}
	s.cands = append(s.cands, candidate{start: start, end: end, score: score, typ: typ, rec: rec})
}

// Find returns the entities of the enabled types in text: non-overlapping, sorted by Start, each with
// a score of at least the minimum score. Offsets are byte offsets into text. The recognizers read a
// normalised copy of the text (see normalize.go); offsets and values are those of text itself.
func (d *Detector) Find(text string) []Entity {
	return d.FindWith(text, Scope{})
}

// FindWith is Find narrowed to a scope: some of the detector's types, a default phone region.
func (d *Detector) FindWith(text string, sc Scope) []Entity {
	types := d.enabled
	if sc.Types != 0 {
		types &= sc.Types
	}
	if len(text) == 0 || types == 0 {
		return nil
	}
	s := scanPool.Get().(*scan)
	s.orig = text
	s.text, s.lowered, s.cands, s.ctxIndexed, s.groupsDone = s.folded.fold(text), false, s.cands[:0], false, false
	s.region, s.tagged = nil, false
	if sc.Region != "" && d.phone != nil {
		s.region = d.phone.region(sc.Region)
	}
	for _, r := range d.recs {
		if types&r.bit != 0 {
			r.find(d, s)
		}
	}
	out := d.resolve(s)
	s.text, s.orig = "", ""
	if len(text) <= 64<<10 { // do not keep the buffers of huge texts in the pool
		scanPool.Put(s)
	}
	return out
}

func (d *Detector) resolve(s *scan) []Entity {
	cands := s.cands
	n := 0
	for _, c := range cands {
		if c.score < 1 && s.hasContext(c.typ, max(0, c.start-d.ctxBefore), min(len(s.text), c.end+d.ctxAfter), c.start, c.end) {
			c.score = min(1, c.score+ContextBoost)
		}
		c.score = round3(c.score)
		if c.score >= d.minScore {
			cands[n] = c
			n++
		}
	}
	cands = cands[:n]
	if n == 0 {
		return nil
	}
	// Validated patterns first, then the name tagger's spans, which are cut short of a pattern
	// entity inside them (an address running into the phone number on its next line).
	slices.SortFunc(cands, func(a, b candidate) int {
		an, bn := nameTypes.Has(a.typ), nameTypes.Has(b.typ)
		switch {
		case an != bn:
			if bn {
				return -1
			}
			return 1
		case a.score != b.score:
			if a.score > b.score {
				return -1
			}
			return 1
		case a.end-a.start != b.end-b.start:
			return (b.end - b.start) - (a.end - a.start)
		default:
			return a.start - b.start
		}
	})
	// Accept greedily, marking the bytes taken by accepted spans in a bit set (linear in the total
	// length of the candidates, whatever their number).
	words := (len(s.text) + 63) / 64
	if cap(s.taken) < words {
		s.taken = make([]uint64, words)
	}
	taken := s.taken[:words]
	clear(taken)
	out := make([]Entity, 0, n)
	for _, c := range cands {
		if anySet(taken, c.start, c.end) {
			if !nameTypes.Has(c.typ) {
				continue
			}
			c.end = firstSet(taken, c.start, c.end)
			for c.end > c.start && strings.IndexByte(" \t\r\n,;:-(", s.text[c.end-1]) >= 0 {
				c.end--
			}
			if c.end-c.start < 2 {
				continue
			}
		}
		setRange(taken, c.start, c.end)
		start, end := s.folded.span(c.start, c.end)
		out = append(out, Entity{Type: c.typ, Start: start, End: end, Value: s.orig[start:end], Score: c.score, Recognizer: c.rec})
	}
	slices.SortFunc(out, func(a, b Entity) int { return a.Start - b.Start })
	return out
}

// firstSet returns the first set position in [start, end), or end.
func firstSet(b []uint64, start, end int) int {
	for i := start; i < end; i++ {
		if b[i/64]&(1<<(i%64)) != 0 {
			return i
		}
	}
	return end
}

func anySet(b []uint64, start, end int) bool {
	for i := start; i < end; {
		if i%64 == 0 && end-i >= 64 {
			if b[i/64] != 0 {
				return true
			}
			i += 64
			continue
		}
		if b[i/64]&(1<<(i%64)) != 0 {
			return true
		}
		i++
	}
	return false
}

func setRange(b []uint64, start, end int) {
	for i := start; i < end; {
		if i%64 == 0 && end-i >= 64 {
			b[i/64] = ^uint64(0)
			i += 64
			continue
		}
		b[i/64] |= 1 << (i % 64)
		i++
	}
}

func round3(f float64) float64 {
	return float64(int(f*1000+0.5)) / 1000
}
