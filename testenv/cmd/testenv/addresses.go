package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// addresses hands out this machine's loopback addresses: one per pod (127.<n>.x.y, n from the
// supervisor's pid, so two test environments on one machine rarely meet) and one per Service.
type addresses struct {
	mu      sync.Mutex
	podNet  int
	nextPod int
	pods    map[string]string
	nextSvc int
}

func newAddresses() *addresses {
	return &addresses{podNet: 10 + os.Getpid()%200, pods: map[string]string{}}
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

// serviceIP picks the next address 127.1.x.y on which every given port is free, so that two
// test environments on one machine (or a stale server) never collide.
func (a *addresses) serviceIP(ports []corev1.ServicePort) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	for tries := 0; tries < 1000; tries++ {
		a.nextSvc++
		ip := fmt.Sprintf("127.1.%d.%d", a.nextSvc/250, a.nextSvc%250+1)
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
