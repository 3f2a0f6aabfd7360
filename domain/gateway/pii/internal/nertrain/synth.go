package main

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/astrabastion/astra/domain/gateway/pii/internal/ner"
)

// Synthetic sentences teach the tagger the context of names that the labelled data shows too
// rarely ("works at X", "based in X", "X, a firm in Y", "Regards, X"). The templates are the
// team's own and generic (they are not the presidio-research templates, and a test sentence is
// never read to make them); the slots are filled from the gazetteer sources only: forenames and
// surnames, GeoNames cities, English country names, cleanco's legal forms, and organisation names
// built from those (surname + legal form, "Surname, Surname and Surname", "Surname-Surname") or
// from the short lists of word parts below ("Datawise", "Harbor Analytics"). No labelled sentence is
// read, so the protocol of the figures is unchanged.

// synthTemplates: {PER}, {FIRST}, {LAST}, {LOC} (a city), {COUNTRY}, {ORG}, {ACRO} (an organisation
// written as an acronym), {ADDR} (number, name and street word); {first} and {loc} are a forename
// and a city in lower case, as informal writing has them.
var synthTemplates = []string{
	"{PER} works at {ORG} in {LOC}.",
	"I used to be employed by {ORG}, a firm based in {LOC}.",
	"{PER} joined {ORG} last year as a senior analyst.",
	"Please send the signed contract to {PER} at {ORG}.",
	"Our supplier {ORG} has moved its headquarters from {LOC} to {LOC}.",
	"{ORG} announced that {PER} will lead its new office in {LOC}.",
	"My name is {PER} and I live in {LOC}, {COUNTRY}.",
	"The meeting with {ORG} takes place in {LOC} next Tuesday.",
	"{PER} from {ORG} called about the overdue invoice.",
	"Can you check the account of {PER}? She moved to {LOC} in March.",
	"We are flying to {COUNTRY} to visit the {ORG} plant near {LOC}.",
	"{ORG} hired {PER} as chief financial officer.",
	"He was born in {LOC} and studied in {COUNTRY} before working for {ORG}.",
	"Dear {PER}, thank you for your interest in {ORG}.",
	"{PER} ({ORG}) will present the results in {LOC}.",
	"Contact: {PER}, {ORG}",
	"The shipment from {ORG} left {LOC} on Monday and should reach {COUNTRY} by Friday.",
	"{ORG} is a consulting company headquartered in {LOC}.",
	"I'm {PER}, a nurse at {ORG}.",
	"Regards,\n{PER}\n{ORG}",
	"{PER} and {PER} met at the {ORG} conference in {LOC}.",
	"Transfer the deposit to {ORG} before {FIRST} leaves for {LOC}.",
	"According to {PER}, {ORG} will open a store in {LOC} this spring.",
	"We had lunch with {FIRST} in {LOC} yesterday.",
	"{FIRST}, could you ask {ORG} whether the order shipped?",
	"The customer, {PER}, complained that {ORG} never answered her e-mails.",
	"{ORG} acquired {ORG} for an undisclosed sum.",
	"Ask {FIRST} to book a hotel in {LOC} for the {ORG} visit.",
	"She left {ORG} in 2019 and now works for {ORG} in {COUNTRY}.",
	"Shares of {ORG} fell after its CEO {PER} resigned.",
	"Write a cover letter for {PER}, who is applying to {ORG} in {LOC}.",
	"Thanks {FIRST}! I'll tell {FIRST} that you're in {LOC} until Sunday.",
	"{PER} was our contact at {ORG} during the audit.",
	"The {ORG} team in {LOC} reports to {PER}.",
	"Is {LOC} in {COUNTRY}? {FIRST} says it is.",
	"Flights from {LOC} to {LOC} are delayed.",
	"Summarise this e-mail from {PER} of {ORG}.",
	"{FIRST} {LAST} is a client of {ORG}; her file is with {PER}.",
	"The invoice lists {ORG} as the seller and {PER} as the buyer.",
	"I moved from {COUNTRY} to {LOC} to work at {ORG}.",
	"{FIRST} grew up in {LOC} and now lives near {LOC}.",
	"\"We're late,\" said {FIRST} to {FIRST}.",
	"{FIRST}: Are you coming to {LOC} tomorrow?\n{FIRST}: Only if {FIRST} drives.",
	"Thanks, {FIRST}! See you in {LOC}.",
	"The {LOC} office of {ORG} is closed on Friday.",
	"{LOC} is a small town in {COUNTRY}, about an hour from {LOC}.",
	"Our trip to {LOC} was cancelled, so {FIRST} booked {COUNTRY} instead.",
	"{ORG} opened a branch in {LOC}; {PER} runs it.",
	"Interview with {PER}, founder of {ORG}.",
	"Please forward this to {FIRST} at {ORG} and copy {PER}.",
	"{PER} is a {LOC}-based designer who worked for {ORG}.",
	"The candidate, {PER}, spent three years at {ORG} in {LOC}.",
	"Weather in {LOC} today: sunny. {FIRST} says {LOC} is colder.",
	"What is the population of {LOC}?",
	"How do I get from {LOC} to {LOC} by train?",
	"Draft a reply to {FIRST} about the {ORG} order.",
	// Imperatives: the capitalised verb that opens the sentence is not part of the name.
	"Call {FIRST} at 555 0143 after lunch.",
	"Email {FIRST} the signed copy today.",
	"Remind {FIRST} about the dentist on Monday.",
	"Tell {PER} that the invoice is paid.",
	"Invite {FIRST} and {FIRST} to the review.",
	"Text {FIRST} when you land in {LOC}.",
	"Contact {PER} at her {ORG} address.",
	"Thank {FIRST} for the quick reply.",
	"Message {FIRST} on the team channel.",
	"Ship the parcel to {ADDR} before {FIRST} leaves for {LOC}.",
	"Her new address is {ADDR}.",
	// A contact line: name, street address and town after one another, separated by commas.
	"Send the documents to {PER}, {ADDR}, {LOC}.",
	"Deliver to {PER}, {ADDR}, {LOC}, {COUNTRY}",
	"Please mail the cheque to {FIRST} {LAST}, {ADDR}, {LOC}.",
	"{PER}\n{ORG}\nMobile: 0612 345 678\nFax: 020 7946 0000",
	"Best,\n{FIRST}\nPhone: 555 0100 | Mobile: 555 0199",
	"Our office moved to {ADDR} in {LOC}.",
	"Please update my billing address to {ADDR}.",
	"The package for {FIRST} was left at {ADDR}.",
	// Informal writing (chat, comments): names in lower case, short sentences, little punctuation.
	"lol {first} is so funny",
	"omg {FIRST} and {FIRST} in the same video",
	"anyone else watching this from {LOC}?",
	"i used to work for {ORG} and it was awful tbh",
	"{FIRST} u r the best",
	"cant wait to see {PER} live in {LOC} next week!!",
	"just moved to {loc}, any tips?",
	"who else thinks {ORG} should hire {FIRST}",
	"greetings from {COUNTRY} :)",
	"my sister {first} lives in {loc} now",
	"{ORG} customer service is the worst, waited 2 hours",
	"love this song, reminds me of {LOC} in the summer",
	"thanks {first} for the help yesterday",
	"is {PER} still at {ORG}?",
	"me and {FIRST} drove from {LOC} to {LOC} last night",
	"shoutout to {FIRST} from {LOC}!",
	"{ACRO} just announced layoffs again",
	"did {ACRO} ever reply to your email?",
	"We switched our bank to {ACRO} last year.",
	"{PER} left {ACRO} for a job at {ORG}.",
	// Sentences without names: capitals that are not names.
	"Compare the Sales and Marketing budgets for Q3.",
	"Merge the Products and Suppliers sheets into one Table.",
	"The Terms and Conditions apply to every Order.",
	"Read the Questions and Answers page, then the Release Notes.",
	"Group the Invoices by Region and Status.",
	"Please review the Terms of Service before Monday.",
	"The Quarterly Report shows Revenue up and Costs down.",
	"Add a Summary section and a Table of Contents.",
	"Our Customer Success team answers within one Business Day.",
	"Click Save, then Export to PDF.",
	"The Annual General Meeting is in the Main Hall.",
}

var (
	orgStems = []string{"Data", "Cloud", "Bio", "Geo", "Info", "Tele", "Smart", "Open", "Clear", "Blue", "Green", "Bright",
		"Quant", "Nova", "Astro", "Medi", "Fin", "Agri", "Eco", "Opti", "Vita", "Omni", "Inno", "Zen", "Hyper", "Micro",
		"Flight", "Health", "Pay", "Trade", "Legal", "Karma", "Map", "Signal", "Core", "Lumen", "Terra", "Aqua", "Sun"}
	orgEnds = []string{"ly", "io", "ify", "sys", "tech", "works", "logic", "soft", "wave", "sphere", "point", "path",
		"stream", "base", "hub", "gen", "labs", "nest", "scope", "mind", "bit", "ware", "vox", "aware", "metrics", "desk",
		"pilot", "grid", "forge", "loop"}
	streetTypes   = []string{"Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Drive", "Boulevard", "Way", "Court", "Place", "Terrace", "Crescent", "Close"}
	orgAdjectives = []string{"Summit", "Harbor", "Northwind", "Pioneer", "Silverline", "Keystone", "Redwood", "Atlas",
		"Meridian", "Granite", "Evergreen", "Pinnacle", "Crescent", "Horizon", "Liberty", "Sterling", "Union", "Civic",
		"Global", "United", "First", "Premier", "Coastal", "Capital", "Frontier"}
	orgNouns = []string{"Analytics", "Capital", "Partners", "Holdings", "Health", "Insights", "Logistics", "Consulting",
		"Systems", "Solutions", "Bank", "Insurance", "Media", "Energy", "Foods", "Labs", "Ventures", "Group", "Networks",
		"Realty", "Software", "Pharmaceuticals", "Motors", "Airlines", "Investments", "Technologies"}
)

type synthLists struct {
	first, last, city, country, suffix []string
}

// loadSynthLists reads the slot values from the shared data.
func loadSynthLists(dir string) (synthLists, error) {
	var l synthLists
	var faker map[string]struct {
		First []string `json:"first_names"`
		Last  []string `json:"last_names"`
	}
	if err := readJSON(filepath.Join(dir, "faker_person_names_by_locale.json"), &faker); err != nil {
		return l, err
	}
	for _, loc := range sortedKeys(faker) {
		for _, n := range faker[loc].First {
			if latinCapitalised(n) {
				l.first = append(l.first, n)
			}
		}
		for _, n := range faker[loc].Last {
			if latinCapitalised(n) {
				l.last = append(l.last, n)
			}
		}
	}
	cities, err := readCSV(filepath.Join(dir, "geonames_world_cities_15000.csv"))
	if err != nil {
		return l, err
	}
	for _, r := range cities[1:] {
		if len(r) >= 1 && latinCapitalised(r[0]) {
			l.city = append(l.city, r[0])
		}
	}
	var countries map[string]map[string]string
	if err := readJSON(filepath.Join(dir, "country_names_multilingual.json"), &countries); err != nil {
		return l, err
	}
	for _, code := range sortedKeys(countries["en"]) {
		if n := countries["en"][code]; !strings.ContainsAny(n, "(),&") {
			l.country = append(l.country, n)
		}
	}
	var cleanco struct {
		ByType map[string][]string `json:"terms_by_type"`
	}
	if err := readJSON(filepath.Join(dir, "cleanco_legal_entity_terms.json"), &cleanco); err != nil {
		return l, err
	}
	for _, t := range []string{"Corporation", "Limited", "Limited Liability Company", "Joint Stock / Unlimited", "Limited Partnership"} {
		for _, s := range cleanco.ByType[t] {
			if len(s) >= 2 && len(s) <= 6 && isASCII(s) {
				l.suffix = append(l.suffix, legalCase(s))
			}
		}
	}
	l.suffix = append(l.suffix, "Inc.", "LLC", "Ltd", "GmbH", "S.A.", "PLC", "Corp.", "AG", "B.V.")
	slices.Sort(l.suffix)
	l.suffix = slices.Compact(l.suffix)
	return l, nil
}

// legalCase writes a lower-case legal form as companies do: "inc." → "Inc.", "gmbh" → "GmbH"
// (short forms in capitals).
func legalCase(s string) string {
	switch s {
	case "gmbh":
		return "GmbH"
	case "inc", "inc.", "corp", "corp.", "co", "co.", "ltd", "ltd.", "ltda", "ltda.":
		return strings.ToUpper(s[:1]) + s[1:]
	}
	if len(strings.Trim(s, ".")) <= 3 || strings.Contains(s, ".") {
		return strings.ToUpper(s)
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func latinCapitalised(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) && unicode.Is(unicode.Latin, r) && !strings.ContainsAny(s, "()/,")
}

// synthExamples returns n labelled sentences, deterministic for a seed.
func synthExamples(l synthLists, n int, seed uint64) []ner.Example {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	org := func() string {
		switch rng.IntN(7) {
		case 0:
			return pick(l.last) + " " + pick(l.suffix)
		case 1:
			return pick(l.last) + ", " + pick(l.last) + " and " + pick(l.last)
		case 2:
			return pick(l.last) + "-" + pick(l.last)
		case 3:
			return pick(orgStems) + pick(orgEnds)
		case 4:
			return pick(orgAdjectives) + " " + pick(orgNouns)
		case 5:
			return pick(l.last) + " " + pick(orgNouns)
		default:
			return pick(orgStems) + pick(orgEnds) + " " + pick(l.suffix)
		}
	}
	// blend makes a name that no list holds from the first part of one and the last part of
	// another ("Kurzen" + "ville"), so that the tagger learns the context of names it has never seen.
	blend := func(s []string) string {
		a, b := []rune(pick(s)), []rune(strings.ToLower(pick(s)))
		if len(a) < 4 || len(b) < 4 {
			return string(a)
		}
		return string(a[:len(a)/2]) + string(b[len(b)/2:])
	}
	last := func() string {
		if rng.IntN(4) == 0 {
			return blend(l.last)
		}
		return pick(l.last)
	}
	person := func() string {
		switch rng.IntN(5) {
		case 0:
			return pick(l.first) + " " + string(pick(l.last)[0]) + ". " + last()
		default:
			return pick(l.first) + " " + last()
		}
	}
	city := func() string {
		if rng.IntN(3) == 0 {
			return blend(l.city)
		}
		return pick(l.city)
	}
	// acronym is an organisation written as two to four capitals ("KLD", "NBH").
	acronym := func() string {
		b := make([]byte, 2+rng.IntN(3))
		for i := range b {
			b[i] = byte('A' + rng.IntN(26))
		}
		return string(b)
	}
	out := make([]ner.Example, 0, n)
	for len(out) < n {
		tpl := pick(synthTemplates)
		var b strings.Builder
		var spans []ner.GoldSpan
		for {
			i := strings.IndexByte(tpl, '{')
			if i < 0 {
				b.WriteString(tpl)
				break
			}
			j := strings.IndexByte(tpl[i:], '}') + i
			b.WriteString(tpl[:i])
			var v string
			var lab ner.Label
			switch tpl[i+1 : j] {
			case "PER":
				v, lab = person(), ner.Person
			case "FIRST":
				v, lab = pick(l.first), ner.Person
			case "LAST":
				v, lab = last(), ner.Person
			case "LOC":
				v, lab = city(), ner.Location
			case "COUNTRY":
				v, lab = pick(l.country), ner.Location
			case "ORG":
				v, lab = org(), ner.Organization
			case "ACRO":
				v, lab = acronym(), ner.Organization
			case "first":
				v, lab = strings.ToLower(pick(l.first)), ner.Person
			case "loc":
				v, lab = strings.ToLower(city()), ner.Location
			case "ADDR":
				v, lab = strconv.Itoa(1+rng.IntN(400))+" "+pick(l.last)+" "+pick(streetTypes), ner.Address
				if rng.IntN(4) == 0 {
					v += ", Apt. " + strconv.Itoa(1+rng.IntN(90))
				}
			}
			if lab == ner.Location && rng.IntN(10) == 0 {
				v = strings.ToUpper(v)
			}
			start := b.Len()
			b.WriteString(v)
			// "{FIRST} {LAST}" is one name.
			if k := len(spans) - 1; k >= 0 && lab == ner.Person && tpl[i+1:j] == "LAST" && spans[k].Label == ner.Person && spans[k].End == start-1 {
				spans[k].End = b.Len()
			} else {
				spans = append(spans, ner.GoldSpan{Start: start, End: b.Len(), Label: lab})
			}
			tpl = tpl[j+1:]
		}
		text := b.String()
		if low := strings.ToLower(text); rng.IntN(12) == 0 && len(low) == len(text) {
			text = low
		}
		out = append(out, ner.NewExample(text, spans))
	}
	return out
}
