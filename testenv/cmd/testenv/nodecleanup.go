package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// remove undoes every node once its kubelet, kube-proxy and containerd have stopped: it kills
// what is left in the node's cgroups (the shims and the containers), unmounts what containerd
// and the kubelet mounted (root file systems, volumes, pod network namespaces), removes the
// cgroups, the network namespace (and with it the veth and every iptables rule of the node, its
// pods and kube-proxy), and the node's containerd and kubelet directories (their logs stay).
func (ns *nodes) remove() {
	ns.mu.Lock()
	list := ns.list
	ns.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range list {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.remove()
		}()
	}
	wg.Wait()
}

func (n *node) remove() {
	n.killCgroups()
	n.removeShimSockets()
	unmountUnder(n.dir)
	n.removeCgroups()
	if _, err := os.Stat(n.netns()); err == nil {
		if err := run("ip", "netns", "del", n.id); err != nil {
			logf("node %s: %v", n.name, err)
		}
	}
	removeLinksInto("/var/log/containers", n.dir)
	if len(mountsUnder(n.dir)) == 0 {
		for _, dir := range []string{"containerd", "kubelet", "cni", "runc-state"} {
			_ = os.RemoveAll(filepath.Join(n.dir, dir))
		}
	} else {
		logf("node %s: mounts left under %s: %v", n.name, n.dir, mountsUnder(n.dir))
	}
}

// removeShimSockets removes the sockets of the node's containerd shims, which containerd 1.6
// keeps in /run/containerd/s under a hash of its address, namespace and task id.
func (n *node) removeShimSockets() {
	tasks, _ := os.ReadDir(filepath.Join(n.dir, "containerd", "state", "io.containerd.runtime.v2.task", "k8s.io"))
	for _, t := range tasks {
		sum := sha256.Sum256([]byte(filepath.Join(n.socket(), "k8s.io", t.Name())))
		_ = os.Remove(filepath.Join("/run/containerd/s", hex.EncodeToString(sum[:])))
	}
}

// killCgroups kills every process under the node's cgroup root until none is left.
func (n *node) killCgroups() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		pids := cgroupPids(filepath.Join("/sys/fs/cgroup/pids", n.id))
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(100 * time.Millisecond)
	}
	logf("node %s: processes left in its cgroups after 10s", n.name)
}

func cgroupPids(root string) []int {
	var pids []int
	_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		raw, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(raw)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// removeCgroups removes the node's cgroups in every hierarchy, deepest first.
func (n *node) removeCgroups() {
	for _, h := range cgroupHierarchies() {
		var dirs []string
		_ = filepath.WalkDir(filepath.Join(h, n.id), func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := syscall.Rmdir(dirs[i]); err != nil {
				logf("node %s: remove cgroup %s: %v", n.name, dirs[i], err)
			}
		}
	}
}

// mountsUnder lists the mount points under dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 5 {
			continue
		}
		point := unescapeMount(fields[4])
		if point == dir || strings.HasPrefix(point, dir+"/") {
			out = append(out, point)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// unescapeMount decodes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func unmountUnder(dir string) {
	for tries := 0; tries < 3; tries++ {
		points := mountsUnder(dir)
		if len(points) == 0 {
			return
		}
		for _, p := range points {
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
		}
	}
}

// removeLinksInto removes the kubelet's symlinks in dir (/var/log/containers) that point under target.
func removeLinksInto(dir, target string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if dest, err := os.Readlink(p); err == nil && strings.HasPrefix(dest, target+"/") {
			_ = os.Remove(p)
		}
	}
}
