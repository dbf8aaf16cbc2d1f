package main

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// With `--latency D`, connections this machine makes to a load balancer pay D each way too: a
// cloud's load balancer sits in its cluster's region, as far from a CI runner as the cluster's
// API server, and the federation's own API server is reached through one. Each TCP port of a
// LoadBalancer address routed to a node gets a delaying proxy on loopback (latency.go), and a
// REDIRECT rule in this machine's OUTPUT chain (a chain of this testenv's own, KTE<slot>-DELAY)
// sends this machine's connections to that port through it; the proxy's own connection to the
// address carries a mark the rule lets pass. Pods reach the address on their node, undelayed,
// as a cloud routes a cluster's traffic to its own load balancer. UDP (a DNS server's port 53)
// is not delayed.

// delayMark marks the proxies' own connections ("kte").
const delayMark = 0x6b7465

// delayChain is this testenv's chain in the nat table's OUTPUT.
func (n *hostNetwork) delayChain() string { return fmt.Sprintf("KTE%d-DELAY", n.slot) }

// delayLoadBalancer puts a delaying proxy in front of each of the address's TCP ports that has
// none yet.
func (n *hostNetwork) delayLoadBalancer(ip string, ports []int32) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.chainMade {
		if err := run("iptables", "-w", "-t", "nat", "-N", n.delayChain()); err != nil {
			return err
		}
		if err := run("iptables", "-w", "-t", "nat", "-I", "OUTPUT", "-j", n.delayChain()); err != nil {
			return err
		}
		n.chainMade = true
	}
	for _, port := range ports {
		target := net.JoinHostPort(ip, strconv.Itoa(int(port)))
		if n.delayed[target] != nil {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		rule := []string{n.delayChain(), "-d", ip + "/32", "-p", "tcp", "--dport", strconv.Itoa(int(port)),
			"-m", "mark", "!", "--mark", strconv.Itoa(delayMark),
			"-j", "REDIRECT", "--to-ports", strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)}
		if err := run("iptables", append([]string{"-w", "-t", "nat", "-A"}, rule...)...); err != nil {
			ln.Close()
			return err
		}
		go serveDelayed(ln, target, n.delay, markedDialer.Dial)
		n.delayed[target] = func() {
			_ = run("iptables", append([]string{"-w", "-t", "nat", "-D"}, rule...)...)
			ln.Close()
		}
	}
	return nil
}

// undelayLoadBalancer takes the proxies of a released address away.
func (n *hostNetwork) undelayLoadBalancer(ip string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for target, stop := range n.delayed {
		if host, _, _ := net.SplitHostPort(target); host == ip {
			stop()
			delete(n.delayed, target)
		}
	}
}

// removeDelayChain takes the chain away, with any rule a testenv of this slot that did not stop
// cleanly left in it.
func (n *hostNetwork) removeDelayChain() {
	_ = run("iptables", "-w", "-t", "nat", "-D", "OUTPUT", "-j", n.delayChain())
	_ = run("iptables", "-w", "-t", "nat", "-F", n.delayChain())
	_ = run("iptables", "-w", "-t", "nat", "-X", n.delayChain())
}

// markedDialer's connections carry delayMark, which the REDIRECT rules let pass.
var markedDialer = net.Dialer{
	Timeout: 10 * time.Second,
	Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, delayMark)
		}); cerr != nil {
			return cerr
		}
		return err
	},
}
