package shadow

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Formats of logs.
const (
	FormatNDJSON   = "ndjson"
	FormatCSV      = "csv"
	FormatSquid    = "squid"
	FormatZeek     = "zeek" // dns.log or http.log, told by its #path or #fields
	FormatZeekDNS  = "zeek_dns"
	FormatZeekHTTP = "zeek_http"
)

// Formats lists the formats.
var Formats = []string{FormatNDJSON, FormatCSV, FormatSquid, FormatZeek, FormatZeekDNS, FormatZeekHTTP}

// ErrFormat: the log is not of a format we read.
var ErrFormat = errors.New("aegis: unreadable shadow ai log")

// Record is one line of a log, as matching needs it.
type Record struct {
	At        time.Time
	Source    string
	Host      string
	UserAgent string
	Bytes     int64
	// Via is how the host was seen: dns (a query), sni, host (a header) or url.
	Via string
}

// Stats count a log's lines.
type Stats struct {
	Lines     int64 `json:"lines"`
	Matched   int64 `json:"matched"`
	Malformed int64 `json:"malformed"`
	// Errors are the first malformed lines' numbers and reasons.
	Errors []string `json:"errors"`
}

const maxErrors = 20

func (s *Stats) bad(line int64, why string) {
	s.Malformed++
	if len(s.Errors) < maxErrors {
		s.Errors = append(s.Errors, fmt.Sprintf("line %d: %s", line, why))
	}
}

// Read parses a log line by line and hands each record to fn. A malformed
// line is counted and reported in Stats, never fatal; only a reader error
// (or a log with no recognisable header, for CSV and Zeek) ends it.
func Read(r io.Reader, format string, fn func(*Record)) (Stats, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var st Stats
	switch format {
	case FormatNDJSON:
		readNDJSON(sc, &st, fn)
	case FormatCSV:
		if err := readCSV(sc, &st, fn); err != nil {
			return st, err
		}
	case FormatSquid:
		readSquid(sc, &st, fn)
	case FormatZeek, FormatZeekDNS, FormatZeekHTTP:
		if err := readZeek(sc, &st, fn); err != nil {
			return st, err
		}
	default:
		return st, fmt.Errorf("%w: format %q is not one of %s", ErrFormat, format, strings.Join(Formats, ", "))
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			st.bad(st.Lines+1, "a line longer than 1 MiB; the rest of the log was not read")
			return st, nil
		}
		return st, err
	}
	return st, nil
}

// flexTime reads a time as RFC 3339, or seconds (or milliseconds) since the epoch, as a JSON string or number.
func flexTime(raw []byte) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, false
	}
	s := string(raw)
	if raw[0] == '"' {
		s = strings.Trim(s, `"`)
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), true
		}
		if t, err := time.Parse("2006-01-02 15:04:05", s); err == nil {
			return t.UTC(), true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	if f > 1e12 {
		f /= 1000
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
}

type ndLine struct {
	TS        json.RawMessage `json:"ts"`
	Timestamp json.RawMessage `json:"timestamp"`
	Time      json.RawMessage `json:"time"`
	Src       string          `json:"src"`
	Source    string          `json:"source"`
	Client    string          `json:"client"`
	SrcIP     string          `json:"src_ip"`
	OrigH     string          `json:"id.orig_h"`
	Query     string          `json:"query"`
	Host      string          `json:"host"`
	SNI       string          `json:"sni"`
	ServerNm  string          `json:"server_name"`
	URL       string          `json:"url"`
	UA        string          `json:"user_agent"`
	UA2       string          `json:"ua"`
	Bytes     int64           `json:"bytes"`
	BytesOut  int64           `json:"bytes_out"`
	ReqLen    int64           `json:"request_body_len"`
}

func first(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func readNDJSON(sc *bufio.Scanner, st *Stats, fn func(*Record)) {
	var l ndLine
	var rec Record
	for sc.Scan() {
		st.Lines++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			st.Lines--
			continue
		}
		l = ndLine{}
		if err := json.Unmarshal(b, &l); err != nil {
			st.bad(st.Lines, "not a JSON object")
			continue
		}
		rec = Record{Source: first(l.Src, l.Source, l.Client, l.SrcIP, l.OrigH), UserAgent: first(l.UA, l.UA2), Bytes: max(l.Bytes, l.BytesOut, l.ReqLen)}
		switch {
		case l.SNI != "" || l.ServerNm != "":
			rec.Host, rec.Via = first(l.SNI, l.ServerNm), "sni"
		case l.Host != "":
			rec.Host, rec.Via = l.Host, "host"
		case l.URL != "":
			rec.Host, rec.Via = l.URL, "url"
		case l.Query != "":
			rec.Host, rec.Via = l.Query, "dns"
		}
		if rec.Host == "" && rec.UserAgent == "" {
			st.bad(st.Lines, "no query, host, sni, url or user_agent")
			continue
		}
		t, ok := flexTime(l.TS)
		if !ok {
			if t, ok = flexTime(l.Timestamp); !ok {
				t, ok = flexTime(l.Time)
			}
		}
		if !ok {
			st.bad(st.Lines, "no readable ts")
			continue
		}
		rec.At, rec.Host = t, Normalize(rec.Host)
		fn(&rec)
	}
}

// csvColumns are the header names each field is read from.
var csvColumns = map[string][]string{
	"ts":     {"ts", "timestamp", "time", "date", "datetime"},
	"src":    {"src", "source", "client", "src_ip", "client_ip", "source_ip", "id.orig_h", "user"},
	"query":  {"query", "qname", "domain"},
	"host":   {"host", "dest_host", "destination", "hostname", "dst_host"},
	"sni":    {"sni", "server_name"},
	"url":    {"url", "uri", "request_url"},
	"ua":     {"user_agent", "useragent", "ua", "http_user_agent"},
	"bytes":  {"bytes", "bytes_out", "sent_bytes", "request_body_len"},
	"status": {},
}

func readCSV(sc *bufio.Scanner, st *Stats, fn func(*Record)) error {
	if !sc.Scan() {
		return nil
	}
	header, err := csv.NewReader(bytes.NewReader(sc.Bytes())).Read()
	if err != nil {
		return fmt.Errorf("%w: the CSV header row does not parse", ErrFormat)
	}
	col := map[string]int{}
	for k, names := range csvColumns {
		col[k] = -1
		for i, h := range header {
			for _, n := range names {
				if strings.EqualFold(strings.TrimSpace(h), n) && col[k] < 0 {
					col[k] = i
				}
			}
		}
	}
	if col["ts"] < 0 || (col["query"] < 0 && col["host"] < 0 && col["sni"] < 0 && col["url"] < 0 && col["ua"] < 0) {
		return fmt.Errorf("%w: the CSV header names no ts column or no query, host, sni, url or user_agent column", ErrFormat)
	}
	get := func(f []string, k string) string {
		if i := col[k]; i >= 0 && i < len(f) {
			return strings.TrimSpace(f[i])
		}
		return ""
	}
	var rec Record
	for sc.Scan() {
		st.Lines++
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			st.Lines--
			continue
		}
		var f []string
		if bytes.IndexByte(line, '"') >= 0 {
			if f, err = csv.NewReader(bytes.NewReader(line)).Read(); err != nil {
				st.bad(st.Lines, "not a CSV row")
				continue
			}
		} else {
			f = strings.Split(string(line), ",")
		}
		if len(f) != len(header) {
			st.bad(st.Lines, fmt.Sprintf("%d fields, the header has %d", len(f), len(header)))
			continue
		}
		rec = Record{Source: get(f, "src"), UserAgent: get(f, "ua")}
		if h := get(f, "sni"); h != "" {
			rec.Host, rec.Via = h, "sni"
		} else if h := get(f, "host"); h != "" {
			rec.Host, rec.Via = h, "host"
		} else if h := get(f, "url"); h != "" {
			rec.Host, rec.Via = h, "url"
		} else if h := get(f, "query"); h != "" {
			rec.Host, rec.Via = h, "dns"
		}
		if rec.Host == "" && rec.UserAgent == "" {
			st.bad(st.Lines, "no query, host, sni, url or user_agent")
			continue
		}
		ts := get(f, "ts")
		t, ok := flexTime([]byte(strconv.Quote(ts)))
		if !ok {
			t, ok = flexTime([]byte(ts))
		}
		if !ok {
			st.bad(st.Lines, "no readable ts")
			continue
		}
		if b := get(f, "bytes"); b != "" {
			rec.Bytes, _ = strconv.ParseInt(b, 10, 64)
		}
		rec.At, rec.Host = t, Normalize(rec.Host)
		fn(&rec)
	}
	return nil
}

// readSquid reads Squid's native access.log: time elapsed client
// code/status bytes method URL ident hierarchy/peer type.
func readSquid(sc *bufio.Scanner, st *Stats, fn func(*Record)) {
	var rec Record
	for sc.Scan() {
		st.Lines++
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			st.Lines--
			continue
		}
		if len(f) < 7 {
			st.bad(st.Lines, "fewer than 7 fields of Squid's native format")
			continue
		}
		t, ok := flexTime([]byte(f[0]))
		if !ok {
			st.bad(st.Lines, "no readable time")
			continue
		}
		rec = Record{At: t, Source: f[2], Host: Normalize(f[6]), Via: "url"}
		if f[5] == "CONNECT" {
			rec.Via = "sni"
		}
		rec.Bytes, _ = strconv.ParseInt(f[4], 10, 64)
		if len(f) > 10 { // a combined-style tail may quote the user agent
			if i := strings.Index(sc.Text(), `"`); i >= 0 {
				rest := sc.Text()[i+1:]
				if j := strings.LastIndex(rest, `"`); j > 0 {
					rec.UserAgent = rest[:j]
				}
			}
		}
		if rec.Host == "" {
			st.bad(st.Lines, "no URL")
			continue
		}
		fn(&rec)
	}
}

// readZeek reads Zeek's TSV logs (dns.log, http.log) by their #fields header.
func readZeek(sc *bufio.Scanner, st *Stats, fn func(*Record)) error {
	col := map[string]int{}
	sep := "\t"
	var rec Record
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			switch {
			case strings.HasPrefix(line, "#separator"):
				if strings.Contains(line, `\x09`) {
					sep = "\t"
				} else if parts := strings.Fields(line); len(parts) == 2 {
					sep = parts[1]
				}
			case strings.HasPrefix(line, "#fields"):
				for i, name := range strings.Split(line, sep)[1:] {
					col[name] = i
				}
			}
			continue
		}
		if line == "" {
			continue
		}
		st.Lines++
		if len(col) == 0 {
			return fmt.Errorf("%w: a Zeek log needs its #fields header", ErrFormat)
		}
		f := strings.Split(line, sep)
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(f) && f[i] != "-" && f[i] != "(empty)" {
				return f[i]
			}
			return ""
		}
		t, ok := flexTime([]byte(get("ts")))
		if !ok {
			st.bad(st.Lines, "no readable ts")
			continue
		}
		rec = Record{At: t, Source: get("id.orig_h"), UserAgent: get("user_agent")}
		if q := get("query"); q != "" {
			rec.Host, rec.Via = q, "dns"
		} else if h := get("host"); h != "" {
			rec.Host, rec.Via = h, "host"
		} else if h := get("server_name"); h != "" {
			rec.Host, rec.Via = h, "sni"
		}
		rec.Bytes, _ = strconv.ParseInt(get("request_body_len"), 10, 64)
		if rec.Host == "" && rec.UserAgent == "" {
			st.bad(st.Lines, "no query, host or user_agent")
			continue
		}
		rec.Host = Normalize(rec.Host)
		fn(&rec)
	}
	return nil
}

// Group is what one source did with one AI service in a log.
type Group struct {
	Service     Service   `json:"service"`
	ServiceHost string    `json:"service_host"`
	Source      string    `json:"source"`
	MatchedBy   string    `json:"matched_by"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Requests    int64     `json:"requests"`
	Bytes       int64     `json:"bytes"`
}

// Findings groups matched records by service and source.
type Findings struct {
	Catalogue *Catalogue
	groups    map[[2]string]*Group
}

// Add matches a record (host first, then user agent) and counts it in its
// group; it reports whether it matched.
func (f *Findings) Add(r *Record) bool {
	c := f.Catalogue
	if c == nil {
		c = Default
	}
	s, ok := Service{}, false
	by, host := r.Via, r.Host
	if r.Host != "" {
		s, ok = c.MatchHost(r.Host)
	}
	if ok {
		if s.Host != "" && s.Category != CategoryAgent && !strings.HasSuffix(host, s.Host) {
			host = s.Host
		}
		host = s.Host
	} else if s, ok = c.MatchAgent(r.UserAgent); ok {
		by, host = "user_agent", "agent:"+s.Name
	}
	if !ok {
		return false
	}
	if f.groups == nil {
		f.groups = map[[2]string]*Group{}
	}
	k := [2]string{host, r.Source}
	g := f.groups[k]
	if g == nil {
		g = &Group{Service: s, ServiceHost: host, Source: r.Source, MatchedBy: by, FirstSeen: r.At, LastSeen: r.At}
		f.groups[k] = g
	}
	g.Requests++
	g.Bytes += r.Bytes
	if r.At.Before(g.FirstSeen) {
		g.FirstSeen = r.At
	}
	if r.At.After(g.LastSeen) {
		g.LastSeen = r.At
	}
	return true
}

// Groups lists the groups by service host, then source.
func (f *Findings) Groups() []Group {
	out := make([]Group, 0, len(f.groups))
	for _, g := range f.groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].ServiceHost != out[j].ServiceHost {
			return out[i].ServiceHost < out[j].ServiceHost
		}
		return out[i].Source < out[j].Source
	})
	return out
}
