package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// hostNetwork is the network testenv makes on this machine, as kind's node containers sit on
// Docker's bridge: a bridge kte<slot> with 172.30.<slot>.1/24, the address where etcd, the API
// servers and the DNS provider's server listen (reachable from the root namespace and from
// every node), and one address per node on it (172.30.<slot>.2...). LoadBalancer Services get
// addresses from 172.31.<slot>.0/24, each routed to its cluster's node, where kube-proxy
// serves it. Nodes route through this machine, which forwards what they send only to testenv's
// bridges (egressRule): nothing a Pod sends leaves the machine. The slot is the first free one from the supervisor's pid on, so that test
// environments side by side on one machine never meet.
type hostNetwork struct {
	slot   int
	bridge string

	// delay is `--latency`: what a connection from this machine to a load balancer pays each
	// way (lbdelay.go).
	delay time.Duration

	mu       sync.Mutex
	nextNode int
	nextLB   int
	freedLB  []string // released load-balancer addresses, oldest first
	// delayed holds the stop of each load balancer's delaying proxy, by address:port.
	delayed   map[string]func()
	chainMade bool
}

// testenvRange holds every testenv's bridges and load balancers. It is unreachable from this
// machine but for the bridges (and routes) of the testenvs running: a stopped cluster's address
// fails at once (EHOSTUNREACH) rather than going to the default gateway.
const testenvRange = "172.30.0.0/15"

// newHostNetwork claims a slot by creating its bridge (creation fails if another testenv holds it).
func newHostNetwork() (*hostNetwork, error) {
	if err := run("ip", "route", "add", "unreachable", testenvRange); err != nil && !strings.Contains(err.Error(), "File exists") {
		return nil, err
	}
	start := os.Getpid() % 250
	for i := 0; i < 250; i++ {
		slot := (start+i)%250 + 1
		name := fmt.Sprintf("kte%d", slot)
		if err := run("ip", "link", "add", name, "type", "bridge"); err != nil {
			continue
		}
		n := &hostNetwork{slot: slot, bridge: name, delayed: map[string]func(){}}
		// A testenv of this slot that did not stop cleanly may have left its delay rules.
		n.removeDelayChain()
		// Forwarding on this bridge alone (the machine's other interfaces keep theirs): a Pod
		// reaches the servers and load balancers of another testenv's bridge through this machine.
		if err := firstError(
			run("ip", "addr", "add", n.hostIP()+"/24", "dev", name),
			run("ip", "link", "set", name, "up"),
			run("iptables", append([]string{"-w", "-I"}, n.egressRule()...)...),
			run("sysctl", "-q", "-w", "net.ipv4.conf."+name+".forwarding=1"),
			saveKernelTunables(),
		); err != nil {
			n.remove()
			return nil, err
		}
		return n, nil
	}
	return nil, fmt.Errorf("no free bridge kte1..kte250 for the nodes' network")
}

// hostIP is this machine's address on the bridge.
func (n *hostNetwork) hostIP() string { return fmt.Sprintf("172.30.%d.1", n.slot) }

// nodeIP hands out the next node address.
func (n *hostNetwork) nodeIP() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.nextNode++
	return fmt.Sprintf("172.30.%d.%d", n.slot, n.nextNode+1)
}

// loadBalancerIP hands out a LoadBalancer address and routes it to the node (if any): a new
// one while the range lasts, then the one released longest ago, as a cloud's pool would.
func (n *hostNetwork) loadBalancerIP(nodeIP string) (string, error) {
	n.mu.Lock()
	var ip string
	switch {
	case n.nextLB < 253:
		n.nextLB++
		ip = fmt.Sprintf("172.31.%d.%d", n.slot, n.nextLB)
	case len(n.freedLB) > 0:
		ip, n.freedLB = n.freedLB[0], n.freedLB[1:]
	}
	n.mu.Unlock()
	if ip == "" {
		return "", fmt.Errorf("no LoadBalancer address left in 172.31.%d.0/24", n.slot)
	}
	if nodeIP == "" {
		return ip, nil
	}
	return ip, run("ip", "route", "replace", ip+"/32", "via", nodeIP, "dev", n.bridge)
}

// releaseLoadBalancerIP takes the address back once its Service is gone; it leads nowhere until
// it is handed out again.
func (n *hostNetwork) releaseLoadBalancerIP(ip string) {
	n.undelayLoadBalancer(ip)
	_ = run("ip", "route", "del", ip+"/32")
	n.mu.Lock()
	n.freedLB = append(n.freedLB, ip)
	n.mu.Unlock()
}

// egressRule refuses to forward what comes from the bridge to anything but testenv's bridges:
// nothing a node or a Pod sends leaves the machine.
func (n *hostNetwork) egressRule() []string {
	return []string{"FORWARD", "-i", n.bridge, "!", "-o", "kte+", "-j", "REJECT", "--reject-with", "icmp-net-prohibited"}
}

// remove deletes the forwarding rule and the bridge, and with it the routes through it; the
// last testenv to go removes the unreachable route too and restores the kernel tunables the
// kubelets changed (kernel.go).
func (n *hostNetwork) remove() {
	n.mu.Lock()
	for _, stop := range n.delayed {
		stop()
	}
	n.delayed = map[string]func(){}
	n.mu.Unlock()
	n.removeDelayChain()
	if err := run("iptables", append([]string{"-w", "-D"}, n.egressRule()...)...); err != nil {
		logf("remove the forwarding rule of %s: %v", n.bridge, err)
	}
	if err := run("ip", "link", "del", n.bridge); err != nil {
		logf("remove bridge %s: %v", n.bridge, err)
	}
	if links, err := exec.Command("ip", "-o", "link", "show", "type", "bridge").Output(); err == nil && !regexp.MustCompile(`: kte\d+:`).Match(links) {
		_ = run("ip", "route", "del", "unreachable", testenvRange)
		restoreKernelTunables()
	}
}

// listenIPs are where the servers the nodes reach listen: loopback, for people, and the bridge.
func (n *hostNetwork) listenIPs() []string { return []string{"127.0.0.1", n.hostIP()} }

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// freeIP tells whether ip:port is free for TCP.
func freeIPPort(ip string, port int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
