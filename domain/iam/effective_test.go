package iam

import (
	"slices"
	"testing"
)

func TestIntersect_NarrowsToTheLowerLevelPerModule(t *testing.T) {
	cases := []struct {
		name string
		a, b []string
		want []string
	}{
		{"owner demoted to reader", []string{"gateway:read", "gateway:write"}, []string{"gateway:read"}, []string{"gateway:read"}},
		{"write-only scope of a reader reads nothing", []string{"gateway:write"}, []string{"gateway:read"}, nil},
		{"admin scope of a reader reads", []string{"gateway:admin"}, []string{"gateway:read"}, []string{"gateway:read"}},
		{"owner lost the module", []string{"iam:read", "gateway:write"}, []string{"gateway:admin"}, []string{"gateway:write"}},
		{"admin owner keeps scopes", []string{"iam:read", "iam:write"}, []string{"iam:admin"}, []string{"iam:read", "iam:write"}},
		{"admin in both stays admin", []string{"iam:admin"}, []string{"iam:admin"}, []string{"iam:admin", "iam:read", "iam:write"}},
		{"nothing in common", []string{"iam:read"}, []string{"risk:read"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Intersect(c.a, c.b); !slices.Equal(got, c.want) {
				t.Fatalf("Intersect(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
			}
		})
	}
}

func TestHas_AdminImpliesAllWriteDoesNotImplyRead(t *testing.T) {
	if Has([]string{"gateway:write"}, "gateway:read") {
		t.Fatal("gateway:write grants gateway:read")
	}
	if !Has([]string{"gateway:admin"}, "gateway:read") || !Has([]string{"gateway:admin"}, "gateway:write") {
		t.Fatal("admin must imply read and write")
	}
}

func TestCanRead_WriteAloneDoesNotRead(t *testing.T) {
	if CanRead([]string{"gateway:write"}, "gateway") {
		t.Fatal("gateway:write reads the gateway")
	}
	if !CanRead([]string{"gateway:read"}, "gateway") || !CanRead([]string{"gateway:admin"}, "gateway") {
		t.Fatal("read or admin must read")
	}
}
