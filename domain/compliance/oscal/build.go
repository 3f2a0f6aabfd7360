package oscal

import (
	"fmt"
	"strings"

	"github.com/astrabastion/astra/domain/compliance"
)

// build checks the decoded catalog and turns it into an imported framework:
// groups, controls and enhancements (controls nested in controls) become the
// requirement tree, parents first, with params and parts kept.
func build(c *catalog, format string, lim Limits) (compliance.Framework, error) {
	if c.Metadata == nil {
		return compliance.Framework{}, &Error{Err: ErrNotOSCALCatalog, Format: format, Offset: -1, Path: "catalog.metadata", Detail: "no metadata"}
	}
	m := c.Metadata
	if strings.TrimSpace(m.Title) == "" {
		return compliance.Framework{}, &Error{Err: ErrNotOSCALCatalog, Format: format, Offset: -1, Path: "catalog.metadata.title", Detail: "no title"}
	}
	v := strings.TrimPrefix(strings.TrimSpace(m.OSCALVersion), "v")
	if !strings.HasPrefix(v, "1.") {
		return compliance.Framework{}, &Error{Err: ErrUnsupportedVersion, Format: format, Offset: -1, Path: "catalog.metadata.oscal-version",
			Detail: fmt.Sprintf("%q; this import reads OSCAL 1.x", m.OSCALVersion)}
	}
	b := &builder{format: format, lim: lim, seen: map[string]bool{}}
	for i := range c.Controls {
		if err := b.control(&c.Controls[i], "", fmt.Sprintf("catalog.controls[%d]", i), false); err != nil {
			return compliance.Framework{}, err
		}
	}
	for i := range c.Groups {
		if err := b.group(&c.Groups[i], "", fmt.Sprintf("catalog.groups[%d]", i)); err != nil {
			return compliance.Framework{}, err
		}
	}
	if b.controls == 0 {
		return compliance.Framework{}, &Error{Err: ErrInvalidCatalog, Format: format, Offset: -1, Path: "catalog", Detail: "no controls"}
	}
	f := compliance.Framework{
		ID:           frameworkID(m.Title, m.Version),
		Name:         strings.TrimSpace(m.Title),
		Version:      strings.TrimSpace(m.Version),
		Publisher:    publisher(m),
		Source:       source(m, c.BackMatter),
		Kind:         compliance.KindImported,
		Scale:        compliance.Percent,
		OSCALVersion: strings.TrimSpace(m.OSCALVersion),
		DocumentUUID: c.UUID,
		Requirements: b.out,
	}
	if err := f.Validate(); err != nil {
		return compliance.Framework{}, &Error{Err: ErrInvalidCatalog, Format: format, Offset: -1, Detail: err.Error()}
	}
	return f, nil
}

type builder struct {
	format   string
	lim      Limits
	seen     map[string]bool
	out      []compliance.Requirement
	controls int
	groupN   int
}

func (b *builder) add(r compliance.Requirement, path string) error {
	switch {
	case b.seen[r.ID]:
		return &Error{Err: ErrInvalidCatalog, Format: b.format, Offset: -1, Path: path + ".id", Detail: fmt.Sprintf("duplicate id %q", r.ID)}
	case len(b.out) >= b.lim.MaxRequirements:
		return &Error{Err: ErrTooComplex, Format: b.format, Offset: -1, Path: path, Detail: fmt.Sprintf("more than %d groups and controls", b.lim.MaxRequirements)}
	}
	b.seen[r.ID] = true
	b.out = append(b.out, r)
	return nil
}

// headingClasses are publisher classes of nodes that organise rather than
// require (the CSF catalog's functions and categories).
var headingClasses = map[string]compliance.Class{
	"function": compliance.ClassFunction,
	"category": compliance.ClassCategory,
}

func (b *builder) group(g *group, parent, path string) error {
	id := strings.TrimSpace(g.ID)
	if id == "" { // the group id is optional in OSCAL; give it a stable one
		b.groupN++
		id = fmt.Sprintf("group-%d", b.groupN)
	}
	class := compliance.ClassGroup
	if c, ok := headingClasses[g.Class]; ok {
		class = c
	}
	title := strings.TrimSpace(g.Title)
	if title == "" {
		return &Error{Err: ErrInvalidCatalog, Format: b.format, Offset: -1, Path: path + ".title", Detail: "group without title"}
	}
	r := compliance.Requirement{ID: id, ParentID: parent, Class: class, Label: label(g.Props, id), Title: title,
		Description: statement(g.Parts), Params: params(g.Params), Parts: parts(g.Parts)}
	if err := b.add(r, path); err != nil {
		return err
	}
	for i := range g.Controls {
		if err := b.control(&g.Controls[i], id, fmt.Sprintf("%s.controls[%d]", path, i), false); err != nil {
			return err
		}
	}
	for i := range g.Groups {
		if err := b.group(&g.Groups[i], id, fmt.Sprintf("%s.groups[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) control(c *control, parent, path string, nested bool) error {
	id := strings.TrimSpace(c.ID)
	if id == "" {
		return &Error{Err: ErrInvalidCatalog, Format: b.format, Offset: -1, Path: path + ".id", Detail: "control without id"}
	}
	title := strings.TrimSpace(c.Title)
	if title == "" {
		return &Error{Err: ErrInvalidCatalog, Format: b.format, Offset: -1, Path: path + ".title", Detail: fmt.Sprintf("control %q without title", id)}
	}
	class := compliance.ClassControl
	if nested {
		class = compliance.ClassEnhancement
	}
	heading := false
	if hc, ok := headingClasses[c.Class]; ok {
		class, heading = hc, true
	} else if c.Class == "subcategory" {
		class = compliance.ClassSubcategory
	}
	withdrawn := isWithdrawn(c.Props)
	r := compliance.Requirement{ID: id, ParentID: parent, Class: class, Label: label(c.Props, id), Title: title,
		Description: statement(c.Parts), Assessable: !heading && !withdrawn, Withdrawn: withdrawn,
		Params: params(c.Params), Parts: parts(c.Parts)}
	if err := b.add(r, path); err != nil {
		return err
	}
	b.controls++
	for i := range c.Controls {
		if err := b.control(&c.Controls[i], id, fmt.Sprintf("%s.controls[%d]", path, i), true); err != nil {
			return err
		}
	}
	return nil
}

// isWithdrawn reads the status prop NIST uses for withdrawn controls.
func isWithdrawn(props []prop) bool {
	for _, p := range props {
		if p.Name == "status" && strings.EqualFold(strings.TrimSpace(p.Value), "withdrawn") {
			return true
		}
	}
	return false
}

// label returns the label prop ("AC-2(1)") unless it merely repeats the id.
func label(props []prop, id string) string {
	for _, p := range props {
		if p.Name == "label" && p.Class == "" && p.Value != id {
			return p.Value
		}
	}
	return ""
}

// statement flattens the statement part, its items prefixed by their labels.
func statement(ps []part) string {
	for _, p := range ps {
		if p.Name == "statement" {
			var lines []string
			flatten(p, &lines)
			return strings.Join(lines, "\n")
		}
	}
	return ""
}

func flatten(p part, lines *[]string) {
	text := strings.TrimSpace(p.Prose)
	if l := label(p.Props, ""); l != "" && text != "" {
		text = l + " " + text
	}
	if text != "" {
		*lines = append(*lines, text)
	}
	for _, sub := range p.Parts {
		flatten(sub, lines)
	}
}

func parts(ps []part) []compliance.Part {
	if len(ps) == 0 {
		return nil
	}
	out := make([]compliance.Part, 0, len(ps))
	for _, p := range ps {
		out = append(out, compliance.Part{ID: p.ID, Name: p.Name, Title: strings.TrimSpace(p.Title), Prose: strings.TrimSpace(p.Prose), Parts: parts(p.Parts)})
	}
	return out
}

func params(ps []param) []compliance.Param {
	if len(ps) == 0 {
		return nil
	}
	out := make([]compliance.Param, 0, len(ps))
	for _, p := range ps {
		cp := compliance.Param{ID: p.ID, Label: strings.TrimSpace(p.Label), Usage: strings.TrimSpace(p.Usage), Values: p.Values}
		if p.Select != nil {
			cp.Select = &compliance.Selection{HowMany: p.Select.HowMany, Choices: p.Select.Choice}
		}
		for _, g := range p.Guidelines {
			if s := strings.TrimSpace(g.Prose); s != "" {
				cp.Guidelines = append(cp.Guidelines, s)
			}
		}
		out = append(out, cp)
	}
	return out
}

// publisher names the party responsible as publisher or creator, else the first organisation.
func publisher(m *metadata) string {
	names := map[string]string{}
	first := ""
	for _, p := range m.Parties {
		n := strings.TrimSpace(p.Name)
		names[p.UUID] = n
		if first == "" && p.Type == "organization" {
			first = n
		}
	}
	for _, role := range []string{"publisher", "creator", "author"} {
		for _, rp := range m.ResponsibleParties {
			if rp.RoleID == role {
				for _, u := range rp.PartyUUIDs {
					if n := names[u]; n != "" {
						return n
					}
				}
			}
		}
	}
	return first
}

// source returns the canonical link, resolving a "#uuid" reference to its back-matter resource.
func source(m *metadata, bm *backMatter) string {
	for _, rel := range []string{"canonical", "alternate", "source-profile"} {
		for _, l := range m.Links {
			if l.Rel != rel {
				continue
			}
			href := strings.TrimSpace(l.Href)
			if !strings.HasPrefix(href, "#") {
				return href
			}
			if bm == nil {
				continue
			}
			for _, r := range bm.Resources {
				if r.UUID == href[1:] && len(r.RLinks) > 0 {
					return r.RLinks[0].Href
				}
			}
		}
	}
	return ""
}

// frameworkID derives a stable slug from the title and version; the command
// that stores an import may still refuse it when another framework holds it.
func frameworkID(title, version string) string {
	s := slug(title)
	if len(s) > 64 {
		s = s[:64]
		if i := strings.LastIndexByte(s, '-'); i > 32 {
			s = s[:i]
		}
	}
	if v := slug(version); v != "" {
		s += "-" + v
	}
	return "oscal-" + s
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '.' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-.")
}
