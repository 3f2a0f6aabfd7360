package aegis

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/astrabastion/astra/domain/aegis/mcp"
)

// McpServer is an MCP server's aggregate: profile, approval and pinned tools.
type McpServer struct {
	ID, TenantID string
	McpServerProfile
	ApprovalState string
	Tools         map[string]mcp.Pinned
	Removed       bool
}

// Live reports whether the server exists in the tenant and was not removed.
func (s *McpServer) Live(tenant string) bool { return s.ID != "" && s.TenantID == tenant && !s.Removed }

// Registered applies McpServerRegistered.
func (s *McpServer) Registered(d *McpServerRegisteredV1) {
	s.ID, s.TenantID, s.McpServerProfile, s.ApprovalState = d.ServerID, d.TenantID, d.McpServerProfile, d.ApprovalState
	s.Tools = map[string]mcp.Pinned{}
}

// Updated applies McpServerUpdated.
func (s *McpServer) Updated(d *McpServerUpdatedV1) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&s.Name, d.Name)
	set(&s.Description, d.Description)
	set(&s.URL, d.URL)
	set(&s.TrustLevel, d.TrustLevel)
	s.ApprovalState = d.ApprovalState
}

// ApprovalChanged applies McpServerApprovalChanged.
func (s *McpServer) ApprovalChanged(d *McpServerApprovalChangedV1) {
	s.ApprovalState = d.To
	for _, a := range d.Approved {
		p := s.Tools[a.Tool]
		p.ApprovedHash = a.Hash
		if p.Hash == a.Hash {
			p.State = mcp.PinApproved
		}
		s.Tools[a.Tool] = p
	}
}

// Pinned applies McpToolsPinned.
func (s *McpServer) Pinned(d *McpToolsPinnedV1) {
	s.Tools = map[string]mcp.Pinned{}
	for _, p := range d.Tools {
		s.Tools[p.Tool.Name] = p
	}
}

// CheckServerProfile validates a server profile (the URL's reachability is netguard's, at the edge).
func CheckServerProfile(p *McpServerProfile) error {
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 200 {
		return fmt.Errorf("%w: name: 1 to 200 characters", mcp.ErrInvalidServer)
	}
	if p.Transport == "" {
		p.Transport = "streamable_http"
	}
	if p.Transport != "streamable_http" {
		return fmt.Errorf("%w: transport: only streamable_http (stdio servers run on the client's machine, out of a network firewall's reach)", mcp.ErrInvalidServer)
	}
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(p.URL) > 2000 {
		return fmt.Errorf("%w: url: an http(s) URL without credentials", mcp.ErrInvalidServer)
	}
	if p.TrustLevel == "" {
		p.TrustLevel = "untrusted"
	}
	if !slices.Contains(TrustLevels, p.TrustLevel) {
		return fmt.Errorf("%w: trust_level: one of %s", mcp.ErrInvalidServer, strings.Join(TrustLevels, ", "))
	}
	return nil
}

// Approve decides an approval change. To approved pins every current tool
// whose scan found nothing high or critical (or every tool with
// approveFlagged); the others stay pending (Held).
func (s *McpServer) Approve(tenant, to, reason, actor string, approveFlagged bool, now time.Time) (*McpServerApprovalChangedV1, error) {
	if !s.Live(tenant) {
		return nil, mcp.ErrServerNotFound
	}
	if !slices.Contains(ApprovalStates, to) {
		return nil, fmt.Errorf("%w: approval_state: one of %s", mcp.ErrInvalidServer, strings.Join(ApprovalStates, ", "))
	}
	d := &McpServerApprovalChangedV1{ServerID: s.ID, From: s.ApprovalState, To: to, Reason: reason, Approved: []ToolApproval{}, Held: []string{}}
	if to == ApprovalApproved {
		names := make([]string, 0, len(s.Tools))
		for n := range s.Tools {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			p := s.Tools[n]
			if p.State == mcp.PinRemoved || p.State == mcp.PinApproved {
				continue
			}
			if w := mcp.Worst(p.Findings); (w == "high" || w == "critical") && !approveFlagged {
				d.Held = append(d.Held, n)
				continue
			}
			d.Approved = append(d.Approved, ToolApproval{Tool: n, Hash: p.Hash, ScannerVersion: mcp.ScannerVersion, Findings: len(p.Findings),
				ApprovedBy: actor, ApprovedAt: now})
		}
	}
	if d.From == d.To && len(d.Approved) == 0 && len(d.Held) == 0 {
		return nil, nil
	}
	return d, nil
}

// McpRule is a firewall rule's aggregate.
type McpRule struct {
	mcp.Rule
	TenantID string
	Deleted  bool
}

// Live reports whether the rule exists in the tenant.
func (r *McpRule) Live(tenant string) bool { return r.ID != "" && r.TenantID == tenant && !r.Deleted }

// Versioned applies McpRuleCreated and McpRuleUpdated.
func (r *McpRule) Versioned(d *McpRuleVersionedV1) {
	r.ID, r.TenantID, r.Version, r.Spec = d.RuleID, d.TenantID, d.Version, d.Rule
}
