//go:build tools

// Package kubefed pins the upstream command that the test environment builds.
package kubefed

import _ "sigs.k8s.io/kubefed/cmd/hyperfed"
