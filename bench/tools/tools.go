//go:build tools

// Package tools records the command-line tools this module pins, so `go mod
// tidy` keeps their dependencies in go.sum. It is never compiled.
package tools

import _ "github.com/bojand/ghz/cmd/ghz"
