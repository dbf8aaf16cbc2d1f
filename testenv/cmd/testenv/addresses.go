package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// addresses hands out this machine's addresses: a loopback address per pod (127.<n>.x.y, n from
// the supervisor's pid, so two test environments on one machine rarely meet) and a load-balancer
// address per Service from a /24 of 172.31.0.0/16 that this testenv claims as local addresses
// (claimLoadBalancerRange). A cloud's load balancer never hands out a loopback address, and the
// DNS controller rightly refuses to publish one, so the Services' addresses must not be loopback.
type addresses struct {
	mu      sync.Mutex
	podNet  int
	nextPod int
	pods    map[string]string
	lbNet   int
	nextSvc int
}

func newAddresses(lbNet int) *addresses {
	return &addresses{podNet: 10 + os.Getpid()%200, pods: map[string]string{}, lbNet: lbNet}
}

func loadBalancerRange(n int) string { return fmt.Sprintf("172.31.%d.0/24", n) }

// claimLoadBalancerRange makes a free /24 of 172.31.0.0/16 local to this machine (a "local" route
// on lo, as the kernel has for 127.0.0.0/8): the load balancers listen on its addresses and only
// this machine reaches them. A range another testenv holds answers "File exists": the next is tried.
func claimLoadBalancerRange() (int, error) {
	for i := 0; i < 256; i++ {
		n := (os.Getpid() + i) % 256
		out, err := exec.Command("ip", "route", "add", "local", loadBalancerRange(n), "dev", "lo", "table", "local").
			CombinedOutput()
		if err == nil {
			return n, nil
		}
		if !strings.Contains(string(out), "File exists") {
			return 0, fmt.Errorf("ip route add local %s: %v: %s", loadBalancerRange(n), err, out)
		}
	}
	return 0, fmt.Errorf("no free /24 in 172.31.0.0/16 for load-balancer addresses")
}

func releaseLoadBalancerRange(n int) {
	_ = exec.Command("ip", "route", "del", "local", loadBalancerRange(n), "dev", "lo", "table", "local").Run()
}

func (a *addresses) podIP(uid string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ip, ok := a.pods[uid]; ok {
		return ip
	}
	a.nextPod++
	ip := fmt.Sprintf("127.%d.%d.%d", a.podNet, a.nextPod/250, a.nextPod%250+1)
	a.pods[uid] = ip
	return ip
}

func (a *addresses) release(uid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.pods, uid)
}

// serviceIP picks the next address of this testenv's load-balancer range on which every given
// port is free (a stale server may still hold one).
func (a *addresses) serviceIP(ports []corev1.ServicePort) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for tries := 0; tries < 254; tries++ {
		a.nextSvc++
		ip := fmt.Sprintf("172.31.%d.%d", a.lbNet, (a.nextSvc-1)%254+1)
		free := true
		for _, p := range ports {
			var l io.Closer
			var err error
			if addr := net.JoinHostPort(ip, fmt.Sprint(p.Port)); p.Protocol == corev1.ProtocolUDP {
				l, err = net.ListenPacket("udp", addr)
			} else {
				l, err = net.Listen("tcp", addr)
			}
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return ip
		}
	}
	return ""
}
