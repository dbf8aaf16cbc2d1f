package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// runcWrapper is what the nodes' containerd runs as runc (testenv, by the name "runc"): it raises
// a negative oomScoreAdj in the bundle's config.json to 0, then execs the real runc. This
// machine (and CI's) lacks CAP_SYS_RESOURCE, without which the kernel refuses to lower a
// process's oom_score_adj, and the kubelet asks -998 for every pod sandbox ("nsexec: failed to
// update /proc/self/oom_score_adj: Permission denied"). Nothing else changes.
func runcWrapper(args []string) error {
	if bundle := bundleOf(args); bundle != "" {
		if err := clampOOMScoreAdj(filepath.Join(bundle, "config.json")); err != nil {
			return err
		}
	}
	runc, err := exec.LookPath("runc")
	if err != nil {
		return err
	}
	return syscall.Exec(runc, append([]string{"runc"}, args...), os.Environ())
}

// bundleOf finds the bundle of `runc [global flags] create|run --bundle DIR ...` ("" otherwise).
func bundleOf(args []string) string {
	creates := false
	for i, a := range args {
		switch {
		case a == "create" || a == "run":
			creates = true
		case creates && (a == "--bundle" || a == "-b") && i+1 < len(args):
			return args[i+1]
		case creates && strings.HasPrefix(a, "--bundle="):
			return strings.TrimPrefix(a, "--bundle=")
		}
	}
	return ""
}

func clampOOMScoreAdj(configPath string) error {
	raw, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(raw, &spec); err != nil {
		return err
	}
	var process map[string]json.RawMessage
	if err := json.Unmarshal(spec["process"], &process); err != nil {
		return err
	}
	var adj int
	if v, ok := process["oomScoreAdj"]; !ok || json.Unmarshal(v, &adj) != nil || adj >= 0 {
		return nil
	}
	process["oomScoreAdj"] = json.RawMessage("0")
	if spec["process"], err = json.Marshal(process); err != nil {
		return err
	}
	if raw, err = json.Marshal(spec); err != nil {
		return err
	}
	return os.WriteFile(configPath, raw, 0o600)
}
