package cybertwins

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// AssetTypes are the kinds of asset the twin knows.
var AssetTypes = []string{"model", "agent", "dataset", "service", "host", "identity", "vector_store", "api_key", "mcp_server", "provider",
	"application", "network"}

// RelationshipTypes are the kinds of directed relationship.
var RelationshipTypes = []string{"connects_to", "has_access", "runs_on", "stores", "calls", "trusts"}

// Bounds of an asset's fields.
const (
	MaxName  = 300
	MaxOwner = 200
	MaxTags  = 50
	MaxTag   = 100
)

// CheckAsset validates an asset and fills its defaults (criticality 3 when
// zero, no tags as an empty list).
func CheckAsset(a Asset) (Asset, error) {
	a.Name = strings.TrimSpace(a.Name)
	switch {
	case a.Name == "" || utf8.RuneCountInString(a.Name) > MaxName:
		return a, fmt.Errorf("%w: name needs 1 to %d characters", ErrInvalidAsset, MaxName)
	case !slices.Contains(AssetTypes, a.Type):
		return a, fmt.Errorf("%w: type must be one of %s", ErrInvalidAsset, strings.Join(AssetTypes, ", "))
	case a.Criticality == 0:
		a.Criticality = 3
	}
	if a.Criticality < 1 || a.Criticality > 5 {
		return a, fmt.Errorf("%w: criticality must be 1 to 5", ErrInvalidAsset)
	}
	if utf8.RuneCountInString(a.Owner) > MaxOwner {
		return a, fmt.Errorf("%w: owner has at most %d characters", ErrInvalidAsset, MaxOwner)
	}
	if len(a.Tags) > MaxTags {
		return a, fmt.Errorf("%w: at most %d tags", ErrInvalidAsset, MaxTags)
	}
	tags := make([]string, 0, len(a.Tags))
	for _, t := range a.Tags {
		t = strings.TrimSpace(t)
		if t == "" || utf8.RuneCountInString(t) > MaxTag {
			return a, fmt.Errorf("%w: a tag needs 1 to %d characters", ErrInvalidAsset, MaxTag)
		}
		tags = append(tags, t)
	}
	slices.Sort(tags)
	a.Tags = slices.Compact(tags)
	return a, nil
}

// CheckRelationship validates a relationship's type and exploitability.
func CheckRelationship(r Relationship) error {
	switch {
	case !slices.Contains(RelationshipTypes, r.Type):
		return fmt.Errorf("%w: type must be one of %s", ErrInvalidRelationship, strings.Join(RelationshipTypes, ", "))
	case !(r.Exploitability > 0) || r.Exploitability > 1:
		return fmt.Errorf("%w: exploitability must be in (0, 1]", ErrInvalidRelationship)
	case r.Source == r.Target:
		return fmt.Errorf("%w: a relationship joins two different assets", ErrInvalidRelationship)
	}
	return nil
}

// internType returns the one copy of a known relationship type's name, so
// that a million relationships share a handful of strings.
func internType(t string) string {
	if i := slices.Index(RelationshipTypes, t); i >= 0 {
		return RelationshipTypes[i]
	}
	return t
}
