package main

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// udpIdle is how long a UDP flow with no datagram either way keeps its upstream socket, as
// kube-proxy's conntrack entries for UDP last 30 s.
const udpIdle = 30 * time.Second

// udpDialer opens the upstream socket of a new flow; alive tells, for each later datagram,
// whether the flow may still use it (a load-balanced flow moves to another pod when its pod
// stops being a ready backend, as kube-proxy clears a removed endpoint's conntrack entries).
type udpDialer func() (upstream net.Conn, alive func() bool, err error)

// udpFlow is one client's traffic through a relay: its own upstream socket, so replies find
// their way back to the client that asked.
type udpFlow struct {
	upstream net.Conn
	alive    func() bool
	last     atomic.Int64 // unix nanoseconds of the last datagram either way
}

func (f *udpFlow) touch() { f.last.Store(time.Now().UnixNano()) }

func (f *udpFlow) idle() bool { return time.Since(time.Unix(0, f.last.Load())) >= udpIdle }

// relayUDP serves a UDP address until pc is closed: each client (source address) gets an
// upstream socket from dial, its datagrams go up through it, and what comes back goes to the
// client from pc's address, as a client of a connected UDP socket expects.
func relayUDP(pc net.PacketConn, dial udpDialer) {
	var mu sync.Mutex
	flows := map[string]*udpFlow{}
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range flows {
			f.upstream.Close()
		}
	}()
	buf := make([]byte, 64*1024)
	for {
		n, client, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		key := client.String()
		mu.Lock()
		f := flows[key]
		mu.Unlock()
		if f != nil && !f.alive() {
			f.upstream.Close() // its reply loop ends and forgets it
			f = nil
		}
		if f == nil {
			upstream, alive, err := dial()
			if err != nil {
				continue // dropped, as a datagram to nowhere is; the client retries
			}
			f = &udpFlow{upstream: upstream, alive: alive}
			mu.Lock()
			flows[key] = f
			mu.Unlock()
			go func() {
				f.replies(pc, client)
				mu.Lock()
				if flows[key] == f {
					delete(flows, key)
				}
				mu.Unlock()
			}()
		}
		f.touch()
		_, _ = f.upstream.Write(buf[:n])
	}
}

// replies sends what comes back on the flow's upstream socket to its client, until the flow
// has been idle for udpIdle or is closed.
func (f *udpFlow) replies(pc net.PacketConn, client net.Addr) {
	defer f.upstream.Close()
	buf := make([]byte, 64*1024)
	for {
		_ = f.upstream.SetReadDeadline(time.Now().Add(udpIdle))
		n, err := f.upstream.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) && !f.idle() {
			continue
		}
		if err != nil {
			// Closed, idle, or refused (nothing listens upstream): the next datagram dials anew.
			return
		}
		f.touch()
		if _, err := pc.WriteTo(buf[:n], client); err != nil {
			return
		}
	}
}

// udpDialer is how a UDP port of a Service reaches its pods: each flow goes to a ready pod.
func (lb *loadBalancer) udpDialer(namespace, name string, port corev1.ServicePort) udpDialer {
	return func() (net.Conn, func() bool, error) {
		return lb.dialBackend(namespace, name, port, "udp")
	}
}
