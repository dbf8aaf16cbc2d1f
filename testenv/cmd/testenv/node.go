package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// node is a cluster's one Node, real as kind's: the kubelet, containerd (its own root, state
// and socket), runc (through runcWrapper), the CNI bridge and kube-proxy, in a network namespace
// of its own with an address on the host bridge (network.go). The node's containerd holds the
// table's images (images.go) and pulls nothing: its registries are a mirror on a loopback port
// that refuses.
type node struct {
	name    string // the Node object's name
	id      string // kte<slot>-<n>: the network namespace, the cgroup root, the veth's prefix
	ip      string
	dir     string
	cluster *cluster
	net     *hostNetwork
}

const (
	podCIDR     = "10.244.0.0/24"
	clusterCIDR = "10.244.0.0/16"
	clusterDNS  = "10.96.0.10"
	// The registry mirror: nothing listens on the discard port of the node's own loopback, so a
	// pull fails at once, and nothing leaves the machine.
	refusingMirror = "http://127.0.0.1:9"
)

// mirroredRegistries are the registries an image reference may name; _default covers any other.
var mirroredRegistries = []string{"docker.io", "registry.k8s.io", "quay.io", "ghcr.io", "gcr.io", "k8s.gcr.io", "_default"}

// nodes tracks every node of one testenv, for the cleanup.
type nodes struct {
	mu   sync.Mutex
	list []*node
}

func (ns *nodes) add(n *node) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.list = append(ns.list, n)
}

// startNode makes the cluster's node and returns once its Node is Ready.
func startNode(ctx context.Context, o options, procs *processes, all *nodes, hn *hostNetwork, c *cluster, archives []archive) (*node, error) {
	n := &node{name: c.name + "-node", ip: hn.nodeIP(), cluster: c, net: hn}
	n.id = fmt.Sprintf("kte%d-%s", hn.slot, strings.TrimPrefix(n.ip, fmt.Sprintf("172.30.%d.", hn.slot)))
	n.dir = filepath.Join(o.state, "nodes", c.name)
	all.add(n)
	started := time.Now()
	if err := n.makeNetwork(); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.name, err)
	}
	if err := n.makeCgroups(); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.name, err)
	}
	if err := n.writeConfig(o); err != nil {
		return nil, fmt.Errorf("node %s: %w", n.name, err)
	}
	if err := n.startContainerd(procs); err != nil {
		return nil, err
	}
	if err := n.importImages(archives); err != nil {
		return nil, err
	}
	if err := n.startKubelet(o, procs); err != nil {
		return nil, err
	}
	if err := n.waitReady(ctx); err != nil {
		return nil, err
	}
	logf("%s: node %s Ready at %s (%s)", c.name, n.name, n.ip, time.Since(started).Round(time.Millisecond))
	return n, nil
}

func (n *node) netns() string { return "/run/netns/" + n.id }

// inNode runs a command in the node's network namespace.
func (n *node) inNode(args ...string) []string {
	return append([]string{"nsenter", "--net=" + n.netns(), "--"}, args...)
}

// makeNetwork makes the node's namespace, with eth0 on the host bridge, as a kind node container
// has; only testenv's addresses (network.go) are routed there.
func (n *node) makeNetwork() error {
	veth := n.id
	return firstError(
		run("ip", "netns", "add", n.id),
		run("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", n.id),
		run("ip", "link", "set", veth, "master", n.net.bridge, "up"),
		run("ip", "-n", n.id, "addr", "add", n.ip+"/24", "dev", "eth0"),
		run("ip", "-n", n.id, "link", "set", "eth0", "up"),
		run("ip", "-n", n.id, "link", "set", "lo", "up"),
		// The default route through this machine, as a kind node's through Docker's bridge
		// (network.go refuses to forward anything off the testenv bridges).
		run("ip", "-n", n.id, "route", "add", "default", "via", n.net.hostIP()),
		run("nsenter", "--net="+n.netns(), "--", "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=1"),
	)
}

// cgroupHierarchies are this machine's cgroup v1 hierarchies (the kubelet runs with cgroupfs).
func cgroupHierarchies() []string {
	entries, _ := os.ReadDir("/sys/fs/cgroup")
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "unified" {
			out = append(out, filepath.Join("/sys/fs/cgroup", e.Name()))
		}
	}
	return out
}

// makeCgroups makes the node's cgroup root (the kubelet's cgroupRoot) and, under it, one for
// containerd and its shims: every process of the node is under it, so the cleanup finds them all.
func (n *node) makeCgroups() error {
	for _, h := range cgroupHierarchies() {
		for _, dir := range []string{filepath.Join(h, n.id), filepath.Join(h, n.id, "containerd")} {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if filepath.Base(h) == "cpuset" {
				for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
					v, _ := os.ReadFile(filepath.Join(h, f))
					if err := os.WriteFile(filepath.Join(dir, f), v, 0o644); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

func (n *node) socket() string { return filepath.Join(n.dir, "containerd.sock") }

func (n *node) writeConfig(o options) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	c := n.cluster
	files := map[string][]byte{
		"containerd.toml":              []byte(n.containerdConfig()),
		"cni/net.d/10-bridge.conflist": []byte(fmt.Sprintf(cniConfig, podCIDR, filepath.Join(n.dir, "cni", "ipam"))),
		// Pods of dnsPolicy Default (CoreDNS) resolve through this: the node's own address, where
		// nothing answers port 53, so that names outside the cluster fail here and go nowhere.
		"resolv.conf":     []byte("nameserver " + n.ip + "\n"),
		"kubelet.yaml":    []byte(n.kubeletConfig(filepath.Join(c.dir, "pki", "ca.crt"))),
		"kube-proxy.yaml": []byte(fmt.Sprintf(kubeProxyConfig, filepath.Join(n.dir, "kube-proxy.kubeconfig"), clusterCIDR, n.name)),
	}
	for _, r := range mirroredRegistries {
		files[filepath.Join("certs.d", r, "hosts.toml")] = []byte(fmt.Sprintf("server = %q\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", refusingMirror, refusingMirror))
	}
	if err := writeFiles(n.dir, files); err != nil {
		return err
	}
	// containerd runs runc through this name: testenv, as runcWrapper.
	if err := os.Symlink(self, filepath.Join(n.dir, "runc")); err != nil {
		return err
	}
	for file, user := range map[string][2]string{
		"kubelet.kubeconfig":    {"system:node:" + n.name, "system:nodes"},
		"kube-proxy.kubeconfig": {"system:kube-proxy", ""},
	} {
		var groups []string
		if user[1] != "" {
			groups = []string{user[1]}
		}
		kp, err := c.ca.issue(user[0], groups, false)
		if err != nil {
			return err
		}
		own := []member{{name: c.name, user: user[0], context: c.context, admin: kp}}
		cfg := kubeconfigFor([]*cluster{{name: c.name, server: c.server, ca: c.ca, members: own}})
		if err := clientcmd.WriteToFile(*cfg, filepath.Join(n.dir, file)); err != nil {
			return err
		}
	}
	return nil
}

func (n *node) containerdConfig() string {
	return fmt.Sprintf(containerdConfig, filepath.Join(n.dir, "containerd", "root"), filepath.Join(n.dir, "containerd", "state"),
		n.socket(), filepath.Join(n.dir, "runc"), filepath.Join(n.dir, "runc-state"), filepath.Join(n.dir, "cni", "net.d"),
		filepath.Join(n.dir, "certs.d"))
}

func (n *node) kubeletConfig(ca string) string {
	return fmt.Sprintf(kubeletConfig, "/"+n.id, n.socket(), n.ip, ca, clusterDNS, filepath.Join(n.dir, "resolv.conf"),
		filepath.Join(n.dir, "pod-logs"), filepath.Join(n.dir, "volume-plugins"))
}

func (n *node) startContainerd(procs *processes) error {
	argv := n.inNode("containerd", "--config", filepath.Join(n.dir, "containerd.toml"))
	cmd, err := procs.start(n.name+" containerd", filepath.Join(n.dir, "containerd.log"), argv[0], argv[1:]...)
	if err != nil {
		return err
	}
	// Into its cgroup before it starts any shim: the shims and their containers follow it.
	for _, h := range cgroupHierarchies() {
		if err := os.WriteFile(filepath.Join(h, n.id, "containerd", "cgroup.procs"), []byte(fmt.Sprint(cmd.Process.Pid)), 0o644); err != nil {
			return fmt.Errorf("node %s: containerd into its cgroup: %w", n.name, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if exec.Command("ctr", "-a", n.socket(), "version").Run() == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("node %s: containerd does not answer at %s after 30s (see %s)", n.name, n.socket(), filepath.Join(n.dir, "containerd.log"))
}

// importImages puts the table's images into the node's containerd, under their references,
// three at a time.
func (n *node) importImages(archives []archive) error {
	errs := make([]error, len(archives))
	slots := make(chan struct{}, 3)
	var wg sync.WaitGroup
	for i, a := range archives {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if out, err := exec.Command("ctr", "-a", n.socket(), "-n", "k8s.io", "images", "import", a.path).CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("node %s: import %s: %v: %s", n.name, a.ref, err, out)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (n *node) startKubelet(o options, procs *processes) error {
	argv := n.inNode(filepath.Join(o.bin, "kubelet"), "--config", filepath.Join(n.dir, "kubelet.yaml"),
		"--kubeconfig", filepath.Join(n.dir, "kubelet.kubeconfig"), "--root-dir", filepath.Join(n.dir, "kubelet"),
		"--hostname-override", n.name, "--node-ip", n.ip, "--v=1")
	if err := oneKubeletBindingAtATime(func() (int, error) {
		cmd, err := procs.start(n.name+" kubelet", filepath.Join(n.dir, "kubelet.log"), argv[0], argv[1:]...)
		if err != nil {
			return 0, err
		}
		return cmd.Process.Pid, nil
	}); err != nil {
		return err
	}
	argv = n.inNode(filepath.Join(o.bin, "kube-proxy"), "--config", filepath.Join(n.dir, "kube-proxy.yaml"))
	_, err := procs.start(n.name+" kube-proxy", filepath.Join(n.dir, "kube-proxy.log"), argv[0], argv[1:]...)
	return err
}

func (n *node) waitReady(ctx context.Context) error {
	client, err := kubernetes.NewForConfig(n.cluster.config)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if node, err := client.CoreV1().Nodes().Get(ctx, n.name, metav1.GetOptions{}); err == nil {
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return nil
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("node %s not Ready after 2m (see %s)", n.name, filepath.Join(n.dir, "kubelet.log"))
}
