// Package iam holds identity and access: tenants, users, roles and the
// permission catalogue, their events and the pure rules that decide them.
package iam

import "sort"

// Modules are the product modules that permissions are granted over.
var Modules = []string{"iam", "gateway", "trust", "aegis", "compliance", "risk", "resilience",
	"bastion_ai", "platform", "admin", "cybertwins", "data_gov"}

// Levels of access per module.
const (
	Read  = "read"
	Write = "write"
	Admin = "admin"
)

// Permission names one grant, "<module>:<level>".
func Permission(module, level string) string { return module + ":" + level }

// Catalogue lists every permission.
func Catalogue() []string {
	var out []string
	for _, m := range Modules {
		out = append(out, Permission(m, Read), Permission(m, Write), Permission(m, Admin))
	}
	return out
}

// Built-in role names. Built-in roles are immutable.
const (
	RolePlatformAdmin     = "platform_admin"
	RoleSecurityAdmin     = "security_admin"
	RoleComplianceOfficer = "compliance_officer"
	RoleRiskManager       = "risk_manager"
	RoleAuditor           = "auditor"
	RoleDeveloper         = "developer"
	RoleViewer            = "viewer"
)

func grant(levels []string, modules ...string) []string {
	var out []string
	for _, m := range modules {
		for _, l := range levels {
			out = append(out, Permission(m, l))
		}
	}
	return out
}

var (
	all    = []string{Read, Write, Admin}
	rw     = []string{Read, Write}
	ro     = []string{Read}
	others = []string{"gateway", "trust", "aegis", "compliance", "risk", "resilience", "bastion_ai", "platform", "cybertwins", "data_gov"}
)

// builtinRoles maps each built-in role to its permissions.
var builtinRoles = map[string][]string{
	RolePlatformAdmin: grant(all, Modules...),
	RoleSecurityAdmin: append(grant(all, "iam", "gateway", "aegis", "trust", "platform", "cybertwins"),
		append(grant(rw, "compliance", "risk", "resilience", "bastion_ai", "data_gov"), Permission("admin", Read))...),
	RoleComplianceOfficer: append(grant(all, "compliance", "data_gov"), append(grant(rw, "risk", "platform", "bastion_ai"),
		grant(ro, "iam", "gateway", "trust", "aegis", "resilience", "cybertwins", "admin")...)...),
	RoleRiskManager: append(grant(all, "risk", "resilience"), append(grant(rw, "cybertwins", "platform", "bastion_ai"),
		grant(ro, "iam", "gateway", "trust", "aegis", "compliance", "data_gov", "admin")...)...),
	RoleAuditor:   grant(ro, Modules...),
	RoleDeveloper: append(grant(rw, "gateway", "bastion_ai"), grant(ro, "trust", "aegis", "risk", "compliance", "cybertwins")...),
	RoleViewer:    grant(ro, others...),
}

// IsBuiltinRole reports whether role is one of the immutable built-in roles.
func IsBuiltinRole(role string) bool { _, ok := builtinRoles[role]; return ok }

// BuiltinRoles lists the built-in role names.
func BuiltinRoles() []string {
	out := make([]string, 0, len(builtinRoles))
	for r := range builtinRoles {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}

// PermissionsOf returns the permissions of a built-in role (nil for unknown roles).
func PermissionsOf(role string) []string {
	p := builtinRoles[role]
	out := make([]string, len(p))
	copy(out, p)
	sort.Strings(out)
	return out
}

// Has reports whether perms grants want. Admin implies write and read; write
// does not imply read (need to know: a key that sends gateway traffic does not
// read everybody's request log), so roles that read and write grant both.
func Has(perms []string, want string) bool {
	for _, p := range perms {
		if p == want {
			return true
		}
	}
	module, _ := splitPermission(want)
	for _, p := range perms {
		if m, l := splitPermission(p); m == module && l == Admin {
			return true
		}
	}
	return false
}

func splitPermission(p string) (string, string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == ':' {
			return p[:i], p[i+1:]
		}
	}
	return p, ""
}

var roleDescriptions = map[string]string{
	RolePlatformAdmin:     "Everything, in every tenant; creates tenants.",
	RoleSecurityAdmin:     "Administers identity, the gateway, AEGIS and trust for the tenant.",
	RoleComplianceOfficer: "Runs compliance and data governance; reads the rest.",
	RoleRiskManager:       "Runs risk and resilience; reads the rest.",
	RoleAuditor:           "Reads everything, writes nothing.",
	RoleDeveloper:         "Uses the gateway and the assistant; reads posture.",
	RoleViewer:            "Reads posture (not identity or administration).",
}

// RoleDescription describes a built-in role.
func RoleDescription(role string) string { return roleDescriptions[role] }
