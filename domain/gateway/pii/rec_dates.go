package pii

// Dates and times (DATE_TIME, off by default).
//
// Base scores: 0.85 ISO dates (2024-01-31, with an optional time), 0.7 month-name dates
// ("March 5, 2024", "5th of March 2024", "March 2024"), 0.6 numeric dates with a four-digit year
// (31/01/2024, 1.31.2024), 0.6 weekday names, 0.55 a year 1900–2099 after a preposition ("in 1977",
// "during 2017"). Every date must exist in the calendar (either day/month order for numeric dates).

const (
	scoreDateISO     = 0.85
	scoreDateMonth   = 0.7
	scoreDateNumeric = 0.6
	scoreWeekday     = 0.6
	scoreYearAfter   = 0.55
)

var monthWords = map[string]int{
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
	"september": 9, "october": 10, "november": 11, "december": 12,
	"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
	"nov": 11, "dec": 12,
}

var weekdayWords = map[string]bool{
	"monday": true, "tuesday": true, "wednesday": true, "thursday": true, "friday": true, "saturday": true, "sunday": true,
}

// yearPrepositions precede a bare year that is reported as a date.
var yearPrepositions = map[string]bool{
	"in": true, "during": true, "since": true, "of": true, "until": true, "till": true, "by": true,
	"from": true, "before": true, "after": true, "circa": true, "year": true, "around": true, "early": true,
	"late": true, "mid": true, "through": true,
}

// yearDeterminers and yearNouns frame a year used as an attribute: "a 1973 American film", "the
// 2010 election", "her 2019 album".
var (
	yearDeterminers = map[string]bool{"a": true, "an": true, "the": true, "his": true, "her": true, "their": true, "its": true, "our": true, "my": true, "your": true}
	yearNouns       = map[string]bool{
		"film": true, "movie": true, "album": true, "song": true, "single": true, "novel": true, "book": true, "season": true,
		"election": true, "elections": true, "edition": true, "model": true, "census": true, "survey": true, "report": true,
		"budget": true, "tournament": true, "championship": true, "championships": true, "olympics": true, "cup": true,
		"series": true, "study": true, "war": true, "crisis": true, "recession": true, "earthquake": true, "hurricane": true,
		"graduate": true, "vintage": true, "tour": true, "campaign": true, "merger": true, "acquisition": true, "ipo": true,
	}
)

// yearAttributive reports a year between a determiner and a capitalised word or a noun that years
// qualify ("a 1973 American action-comedy", "the 2010 census").
func yearAttributive(t string, lower []byte, start, end int) bool {
	if !yearDeterminers[string(prevWord(lower, start))] || end+2 > len(t) || t[end] != ' ' {
		return false
	}
	j := end + 1
	if t[j] >= 'A' && t[j] <= 'Z' {
		return true
	}
	k := j
	for k < len(t) && isAlpha(lower[k]) {
		k++
	}
	return yearNouns[string(lower[j:k])]
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func validDate(y, m, d int) bool {
	return y >= 1000 && y <= 2999 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(m, y)
}

func findDates(d *Detector, s *scan) {
	t := s.text
	for r := range s.digitRuns("-/.") {
		if !numLeftOK(t, r.start) {
			continue
		}
		if r.groups == 1 && r.digits == 4 && numRightOK(t, r.end) && (r.end >= len(t) || !isAlpha(t[r.end])) {
			y := atoi([]byte(t[r.start:r.end]))
			if y >= 1900 && y <= 2099 && (yearPrepositions[string(prevWord(s.lower(), r.start))] || yearAttributive(t, s.lower(), r.start, r.end)) {
				s.add(d, TypeDateTime, "date_time", r.start, r.end, scoreYearAfter)
			}
			continue
		}
		if r.groups != 3 || r.mixedSep {
			continue
		}
		g := [3]int{r.groupDig[0], r.groupDig[1] - r.groupDig[0], r.groupDig[2] - r.groupDig[1]}
		num := func(k int) int {
			from := r.start
			if k > 0 {
				from = r.groupEnd[k-1] + 1
			}
			return atoi([]byte(t[from:r.groupEnd[k]]))
		}
		switch {
		case g[0] == 4 && g[1] <= 2 && g[2] <= 2:
			if !validDate(num(0), num(1), num(2)) {
				continue
			}
			end := r.end
			if r.sep == '-' {
				end = timeSuffix(t, end)
			}
			if !numRightOK(t, end) {
				continue
			}
			score := scoreDateISO
			if r.sep != '-' {
				score = scoreDateNumeric
			}
			s.add(d, TypeDateTime, "date_time", r.start, end, score)
		case g[0] <= 2 && g[1] <= 2 && g[2] == 4:
			a, b, y := num(0), num(1), num(2)
			if !numRightOK(t, r.end) || !(validDate(y, a, b) || validDate(y, b, a)) {
				continue
			}
			end := timeSuffix(t, r.end)
			s.add(d, TypeDateTime, "date_time", r.start, end, scoreDateNumeric)
		}
	}
	findWordDates(d, s)
}

// timeSuffix extends a date ending at e with " 12:34", " 12:34:56", "T12:34:56.789Z" or "+02:00".
func timeSuffix(t string, e int) int {
	if e+6 > len(t) || (t[e] != ' ' && t[e] != 'T') {
		return e
	}
	j := e + 1
	two := func(k int) bool { return k+2 <= len(t) && isDigit(t[k]) && isDigit(t[k+1]) }
	if !two(j) || t[j+2] != ':' || !two(j+3) {
		return e
	}
	j += 5
	if j+3 <= len(t) && t[j] == ':' && two(j+1) {
		j += 3
		if j+1 < len(t) && t[j] == '.' && isDigit(t[j+1]) {
			j++
			for j < len(t) && isDigit(t[j]) {
				j++
			}
		}
	}
	if j < len(t) && t[j] == 'Z' {
		return j + 1
	}
	// Numeric offset, right after the time or after one space: +02:00, -0500.
	k := j
	if k < len(t) && t[k] == ' ' {
		k++
	}
	if k+5 <= len(t) && (t[k] == '+' || t[k] == '-') && two(k+1) {
		switch {
		case k+6 <= len(t) && t[k+3] == ':' && two(k+4):
			j = k + 6
		case two(k + 3):
			j = k + 5
		}
	}
	return j
}

// prevWord returns the lower-case word just before offset i (skipping spaces), or nil.
func prevWord(lower []byte, i int) []byte {
	j := i
	for j > 0 && lower[j-1] == ' ' {
		j--
	}
	if j == i {
		return nil
	}
	k := j
	for k > 0 && isAlpha(lower[k-1]) {
		k--
	}
	if k > 0 && isWordByte(lower[k-1]) {
		return nil
	}
	return lower[k:j]
}

// findWordDates reports weekday names and month-name dates.
func findWordDates(d *Detector, s *scan) {
	t, lower := s.text, s.lower()
	for i := 0; i < len(lower); {
		if !isAlpha(lower[i]) {
			i++
			continue
		}
		j := i
		for j < len(lower) && isAlpha(lower[j]) {
			j++
		}
		start := i
		i = j
		if (start > 0 && isWordByte(lower[start-1])) || (j < len(lower) && isWordByte(lower[j])) || j-start < 3 || j-start > 9 {
			continue
		}
		w := lower[start:j]
		if weekdayWords[string(w)] {
			s.add(d, TypeDateTime, "date_time", start, j, scoreWeekday)
			continue
		}
		m, ok := monthWords[string(w)]
		if !ok {
			continue
		}
		// Month day[,] [year] | Month year
		e := j
		if e < len(t) && t[e] == '.' && j-start <= 4 {
			e++
		}
		sp := skipSpaces(t, e)
		dayEnd, day := readInt(t, sp, 2)
		end := -1
		if day >= 1 && day <= 31 && dayEnd > sp {
			end = ordinalSuffix(t, dayEnd)
			y0 := skipSpaces(t, skipComma(t, end))
			if yEnd, y := readInt(t, y0, 4); yEnd-y0 == 4 && validDate(y, m, day) && numRightOK(t, yEnd) {
				end = yEnd
			} else if day > daysIn(m, 2000) || (end < len(t) && isAlnum(t[end])) {
				end = -1
			}
		} else if yEnd, y := readInt(t, sp, 4); yEnd-sp == 4 && y >= 1000 && numRightOK(t, yEnd) && (yEnd >= len(t) || !isAlpha(t[yEnd])) {
			end = yEnd
		}
		from := start
		// day [of] Month
		if pb, day := dayBefore(t, lower, start); pb >= 0 && day >= 1 && day <= daysIn(m, 2000) {
			from = pb
			if end < 0 {
				end = e
				y0 := skipSpaces(t, skipComma(t, e))
				if yEnd, y := readInt(t, y0, 4); yEnd-y0 == 4 && validDate(y, m, day) && numRightOK(t, yEnd) {
					end = yEnd
				}
			}
		}
		if end < 0 {
			continue
		}
		end = timeSuffix(t, end)
		s.add(d, TypeDateTime, "date_time", from, end, scoreDateMonth)
		i = max(i, end)
	}
}

func skipSpaces(t string, i int) int {
	for i < len(t) && t[i] == ' ' {
		i++
	}
	return i
}

func skipComma(t string, i int) int {
	if i < len(t) && t[i] == ',' {
		return i + 1
	}
	return i
}

// readInt reads up to n digits at i; it returns the end offset and the value.
func readInt(t string, i, n int) (int, int) {
	v, j := 0, i
	for j < len(t) && j-i < n && isDigit(t[j]) {
		v = v*10 + int(t[j]-'0')
		j++
	}
	if j < len(t) && isDigit(t[j]) {
		return i, -1
	}
	return j, v
}

func ordinalSuffix(t string, i int) int {
	if i+2 <= len(t) {
		switch t[i : i+2] {
		case "st", "nd", "rd", "th":
			if i+2 == len(t) || !isAlpha(t[i+2]) {
				return i + 2
			}
		}
	}
	return i
}

// dayBefore finds "5 ", "5th ", "5th of " just before a month word at m; it returns the start offset
// of the day and its value, or -1.
func dayBefore(t string, lower []byte, m int) (int, int) {
	j := m
	for j > 0 && t[j-1] == ' ' {
		j--
	}
	if j == m {
		return -1, 0
	}
	if j >= 2 && string(lower[j-2:j]) == "of" && (j == 2 || lower[j-3] == ' ') {
		j -= 2
		for j > 0 && t[j-1] == ' ' {
			j--
		}
	}
	if j >= 2 {
		switch string(lower[j-2 : j]) {
		case "st", "nd", "rd", "th":
			j -= 2
		}
	}
	k := j
	for k > 0 && j-k < 2 && isDigit(t[k-1]) {
		k--
	}
	if k == j || (k > 0 && (isAlnum(t[k-1]) || t[k-1] == '.' || t[k-1] == '/')) {
		return -1, 0
	}
	return k, atoi([]byte(t[k:j]))
}
