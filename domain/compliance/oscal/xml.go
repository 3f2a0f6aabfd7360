package oscal

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
)

// namespace is the OSCAL XML namespace, the same for every 1.x version.
const namespace = "http://csrc.nist.gov/ns/oscal/1.0"

// node is an XML element with its attributes and its content in order: text
// runs (string) and child elements (*node).
type node struct {
	name    string
	space   string
	attrs   map[string]string
	content []any
}

func (n *node) attr(k string) string { return n.attrs[k] }

// children returns the child elements named name in the OSCAL namespace;
// elements of other namespaces are extensions the import does not read.
func (n *node) children(name string) []*node {
	var out []*node
	for _, c := range n.content {
		if e, ok := c.(*node); ok && e.name == name && e.space == namespace {
			out = append(out, e)
		}
	}
	return out
}

func (n *node) child(name string) *node {
	for _, c := range n.content {
		if e, ok := c.(*node); ok && e.name == name && e.space == namespace {
			return e
		}
	}
	return nil
}

// text is the element's text with inline markup flattened and white space collapsed.
func (n *node) text() string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	n.inline(&b)
	return strings.Join(strings.Fields(b.String()), " ")
}

func (n *node) inline(b *strings.Builder) {
	for _, c := range n.content {
		switch v := c.(type) {
		case string:
			b.WriteString(v)
		case *node:
			if v.name == "insert" { // rendered as in OSCAL JSON
				fmt.Fprintf(b, "{{ insert: %s, %s }}", v.attr("type"), v.attr("id-ref"))
				continue
			}
			v.inline(b)
		}
	}
}

// blockNames are the OSCAL markup-multiline block elements that make up prose.
var blockNames = map[string]bool{"p": true, "ul": true, "ol": true, "li": true, "table": true, "tr": true, "pre": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "blockquote": true}

// prose joins the element's block children, one line each.
func (n *node) prose() string {
	if n == nil {
		return ""
	}
	var lines []string
	for _, c := range n.content {
		if e, ok := c.(*node); ok && blockNames[e.name] {
			if t := e.text(); t != "" {
				lines = append(lines, t)
			}
		}
	}
	return strings.Join(lines, "\n")
}

func parseXML(data []byte, lim Limits) (compliance.Framework, error) {
	root, err := readXML(data, lim)
	if err != nil {
		return compliance.Framework{}, err
	}
	if root.space != namespace || root.name != "catalog" {
		detail := fmt.Sprintf("root element {%s}%s", root.space, root.name)
		if what, ok := otherModels[root.name]; ok && root.space == namespace {
			detail = "this is " + what + ", not a catalog"
		}
		return compliance.Framework{}, fail(ErrNotOSCALCatalog, "xml", detail)
	}
	c := xmlCatalog(root)
	return build(&c, "xml", lim)
}

// readXML reads the document into a node tree, refusing document type
// declarations and enforcing the depth and token limits as it goes.
func readXML(data []byte, lim Limits) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	// No CharsetReader: a non-UTF-8 encoding is an error, not a conversion.
	pos := func(e *Error) *Error {
		e.Line, e.Column = d.InputPos()
		e.Offset = d.InputOffset()
		return e
	}
	var stack []*node
	var root *node
	tokens, elements := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				e := pos(fail(ErrMalformed, "xml", strings.TrimPrefix(syn.Msg, "xml: ")))
				e.Line = syn.Line
				return nil, e
			}
			return nil, pos(fail(ErrMalformed, "xml", strings.TrimPrefix(err.Error(), "xml: ")))
		}
		tokens++
		if tokens > lim.MaxTokens {
			return nil, pos(fail(ErrTooComplex, "xml", fmt.Sprintf("more than %d XML tokens", lim.MaxTokens)))
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.Contains(t, []byte("ENTITY")) {
				return nil, pos(fail(ErrEntityDeclaration, "xml", "the document type declaration declares entities"))
			}
			return nil, pos(fail(ErrDTD, "xml", "<!"+firstWord(t)+"> found"))
		case xml.StartElement:
			if len(stack) >= lim.MaxDepth {
				return nil, pos(fail(ErrTooDeep, "xml", fmt.Sprintf("more than %d nested elements", lim.MaxDepth)))
			}
			if elements++; elements > lim.MaxNodes {
				return nil, pos(fail(ErrTooComplex, "xml", fmt.Sprintf("more than %d elements", lim.MaxNodes)))
			}
			n := &node{name: t.Name.Local, space: t.Name.Space}
			if len(t.Attr) > 0 {
				n.attrs = make(map[string]string, len(t.Attr))
				for _, a := range t.Attr {
					if a.Name.Space == "" {
						n.attrs[a.Name.Local] = a.Value
					}
				}
			}
			if len(stack) == 0 {
				if root != nil {
					return nil, pos(fail(ErrMalformed, "xml", "more than one root element"))
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.content = append(p.content, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.content = append(p.content, string(t))
			}
		}
	}
	if root == nil {
		return nil, pos(fail(ErrMalformed, "xml", "no root element"))
	}
	return root, nil
}

func firstWord(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// The mapping from the XML tree to the catalog model, element by element.

func xmlCatalog(n *node) catalog {
	c := catalog{UUID: n.attr("uuid")}
	if m := n.child("metadata"); m != nil {
		c.Metadata = xmlMetadata(m)
	}
	for _, p := range n.children("param") {
		c.Params = append(c.Params, xmlParam(p))
	}
	for _, e := range n.children("control") {
		c.Controls = append(c.Controls, xmlControl(e))
	}
	for _, e := range n.children("group") {
		c.Groups = append(c.Groups, xmlGroup(e))
	}
	if bm := n.child("back-matter"); bm != nil {
		c.BackMatter = &backMatter{}
		for _, r := range bm.children("resource") {
			res := resource{UUID: r.attr("uuid"), Title: r.child("title").text()}
			for _, l := range r.children("rlink") {
				res.RLinks = append(res.RLinks, struct {
					Href string `json:"href"`
				}{l.attr("href")})
			}
			c.BackMatter.Resources = append(c.BackMatter.Resources, res)
		}
	}
	return c
}

func xmlMetadata(n *node) *metadata {
	m := &metadata{Title: n.child("title").text(), Version: n.child("version").text(), OSCALVersion: n.child("oscal-version").text(),
		Published: n.child("published").text(), LastModified: n.child("last-modified").text(), Props: xmlProps(n)}
	for _, l := range n.children("link") {
		m.Links = append(m.Links, link{Href: l.attr("href"), Rel: l.attr("rel")})
	}
	for _, p := range n.children("party") {
		m.Parties = append(m.Parties, party{UUID: p.attr("uuid"), Type: p.attr("type"), Name: p.child("name").text(), ShortName: p.child("short-name").text()})
	}
	for _, rp := range n.children("responsible-party") {
		r := responsibleParty{RoleID: rp.attr("role-id")}
		for _, u := range rp.children("party-uuid") {
			r.PartyUUIDs = append(r.PartyUUIDs, u.text())
		}
		m.ResponsibleParties = append(m.ResponsibleParties, r)
	}
	return m
}

func xmlProps(n *node) []prop {
	var out []prop
	for _, p := range n.children("prop") {
		out = append(out, prop{Name: p.attr("name"), Value: p.attr("value"), NS: p.attr("ns"), Class: p.attr("class")})
	}
	return out
}

// xmlNode reads what a group and a control both hold.
func xmlNode(n *node) catalogNode {
	c := catalogNode{ID: n.attr("id"), Class: n.attr("class"), Title: n.child("title").text(), Props: xmlProps(n)}
	for _, p := range n.children("param") {
		c.Params = append(c.Params, xmlParam(p))
	}
	for _, p := range n.children("part") {
		c.Parts = append(c.Parts, xmlPart(p))
	}
	return c
}

func xmlGroup(n *node) group {
	g := group{catalogNode: xmlNode(n)}
	for _, e := range n.children("group") {
		g.Groups = append(g.Groups, xmlGroup(e))
	}
	for _, e := range n.children("control") {
		g.Controls = append(g.Controls, xmlControl(e))
	}
	return g
}

func xmlControl(n *node) control {
	c := control{catalogNode: xmlNode(n)}
	for _, e := range n.children("control") {
		c.Controls = append(c.Controls, xmlControl(e))
	}
	return c
}

func xmlParam(n *node) param {
	p := param{ID: n.attr("id"), Class: n.attr("class"), Props: xmlProps(n), Label: n.child("label").text(), Usage: n.child("usage").prose()}
	if p.Usage == "" {
		p.Usage = n.child("usage").text()
	}
	for _, g := range n.children("guideline") {
		p.Guidelines = append(p.Guidelines, guideline{Prose: g.prose()})
	}
	for _, v := range n.children("value") {
		p.Values = append(p.Values, v.text())
	}
	if s := n.child("select"); s != nil {
		p.Select = &selection{HowMany: s.attr("how-many")}
		for _, ch := range s.children("choice") {
			p.Select.Choice = append(p.Select.Choice, ch.text())
		}
	}
	return p
}

func xmlPart(n *node) part {
	p := part{ID: n.attr("id"), Name: n.attr("name"), NS: n.attr("ns"), Class: n.attr("class"), Title: n.child("title").text(),
		Props: xmlProps(n), Prose: n.prose()}
	for _, e := range n.children("part") {
		p.Parts = append(p.Parts, xmlPart(e))
	}
	return p
}
