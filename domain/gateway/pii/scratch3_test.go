package pii

import (
	"fmt"
	"testing"
)

func TestScratchKeys(t *testing.T) {
	d := New()
	for _, tx := range []string{"key AKIAIOSFODNN7EXAMPLE here", "DB_PASSWORD = \"s3cr3t-Pa55w0rd!\"", "my wallet 1BvBMSEYstWetqTFn5Au4m4GZg7xJaNVN2 ok"} {
		fmt.Printf("%q -> %+v\n", tx, d.Find(tx))
	}
}
