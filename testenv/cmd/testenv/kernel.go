package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// kernelTunables are the machine-wide sysctls a kubelet sets when it starts, on every real node
// (kubelet v1.34.4 pkg/kubelet/cm/container_manager_linux.go setupKernelTunables:
// vm.overcommit_memory=1, vm.panic_on_oom=0, kernel.panic=10, kernel.panic_on_oops=1,
// kernel.keys.root_maxkeys=1000000, kernel.keys.root_maxbytes=25000000). They are not
// namespaced, so the nodes' kubelets change this machine's: testenv writes down the values the
// first node found and writes them back when the last testenv with a bridge goes.
var kernelTunables = []string{
	"vm/overcommit_memory", "vm/panic_on_oom", "kernel/panic", "kernel/panic_on_oops",
	"kernel/keys/root_maxkeys", "kernel/keys/root_maxbytes",
}

// savedTunables lives in /run, which a reboot empties as it resets the values.
const savedTunables = "/run/kubefed-testenv/kernel-tunables.json"

// saveKernelTunables records the machine's values, unless a running testenv already did (its
// record holds the values from before any kubelet ran).
func saveKernelTunables() error {
	values := map[string]string{}
	for _, k := range kernelTunables {
		raw, err := os.ReadFile(filepath.Join("/proc/sys", k))
		if err != nil {
			return err
		}
		values[k] = strings.TrimSpace(string(raw))
	}
	raw, _ := json.Marshal(values)
	if err := os.MkdirAll(filepath.Dir(savedTunables), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(savedTunables, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(raw)
	return err
}

// restoreKernelTunables writes the recorded values back and forgets them.
func restoreKernelTunables() {
	raw, err := os.ReadFile(savedTunables)
	if err != nil {
		return
	}
	values := map[string]string{}
	if err := json.Unmarshal(raw, &values); err != nil {
		logf("kernel tunables: %s: %v", savedTunables, err)
	}
	for k, v := range values {
		if err := os.WriteFile(filepath.Join("/proc/sys", k), []byte(v), 0o644); err != nil {
			logf("kernel tunables: %v", fmt.Errorf("restore %s=%s: %w", k, v, err))
		}
	}
	_ = os.Remove(savedTunables)
}
