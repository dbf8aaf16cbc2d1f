//go:build tools

// Package externaldns pins external-dns, which the test environment's kubelet runs for the
// external-dns image. A module of its own: its Kubernetes libraries differ from testenv's.
package externaldns

import _ "sigs.k8s.io/external-dns"
