//go:build tools

// Package coredns pins CoreDNS, which the test environment runs as the coredns provider's
// server and as a member's cluster DNS. A module of its own: its libraries differ from testenv's.
package coredns

import _ "github.com/coredns/coredns"
