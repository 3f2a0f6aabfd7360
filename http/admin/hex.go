package admin

import (
	"encoding/hex"
	"runtime"
)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

func goVersion() string { return runtime.Version() }
