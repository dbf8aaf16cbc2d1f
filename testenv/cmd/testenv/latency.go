package main

import (
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"
)

// A latency injector for `testenv up --latency D`: users run the action from a CI runner against
// clusters in other regions, 20–150 ms away, and what decides its time there is how many round
// trips lie one after another on its path. This kernel has no netem queue discipline, so the
// delay is added in user space: a TCP proxy in front of each API server, whose address is the
// one testenv publishes (kubeconfig, ready.json). Everything reaching a server from outside (the
// action, kubectl, kubefedctl, KubeFed's pods reaching a member) goes through it; the cluster's
// own components keep the direct address, as a cloud's control plane sits beside its server.
//
// Each chunk of bytes is forwarded D after it was read, in order, in each direction, so a
// request on an open connection costs 2×D more, and a TLS handshake pays its round trips too.
// A new connection also pays the TCP handshake's round trip: nothing the client sends is
// forwarded before 2×D after the connection was accepted.

// delayServers puts a proxy delaying every byte by `delay` each way in front of each cluster's
// API server, and publishes the proxy's address as the server's. Nothing when delay is 0.
func delayServers(delay time.Duration, clusters []*cluster, procs *processes) error {
	if delay <= 0 {
		return nil
	}
	for _, c := range clusters {
		target, err := url.Parse(c.server)
		if err != nil {
			return err
		}
		addr, stop, err := startDelayProxy(target.Host, delay)
		if err != nil {
			return fmt.Errorf("%s: latency proxy: %w", c.name, err)
		}
		procs.atStop(stop)
		logf("%s: %s one-way delay at https://%s in front of %s", c.name, delay, addr, c.server)
		c.server = "https://" + addr
	}
	return nil
}

// startDelayProxy listens on a free port of target's own address (the host's bridge address,
// which Pods on the nodes reach too; a Pod's 127.0.0.1 is its own) and forwards each connection
// to target with `delay` added in each direction. It returns its address and its stop function.
func startDelayProxy(target string, delay time.Duration) (string, func(), error) {
	host, _, err := net.SplitHostPort(target)
	if err != nil {
		return "", nil, err
	}
	port, err := freePort(host)
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, fmt.Sprint(port)))
	if err != nil {
		return "", nil, err
	}
	go serveDelayed(ln, target, delay, net.Dial)
	return ln.Addr().String(), func() { ln.Close() }, nil
}

// serveDelayed forwards each connection ln accepts to target, reached through dial, with
// `delay` added in each direction, until ln is closed.
func serveDelayed(ln net.Listener, target string, delay time.Duration, dial func(network, address string) (net.Conn, error)) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return // closed by stop
		}
		go delayConnection(client, target, delay, dial)
	}
}

func delayConnection(client net.Conn, target string, delay time.Duration, dial func(network, address string) (net.Conn, error)) {
	accepted := time.Now()
	server, err := dial("tcp", target)
	if err != nil {
		client.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); delayedCopy(server, client, delay, accepted.Add(2*delay)) }()
	go func() { defer wg.Done(); delayedCopy(client, server, delay, accepted) }()
	wg.Wait()
	client.Close()
	server.Close()
}

type chunk struct {
	data []byte
	due  time.Time
}

// delayedCopy reads src and writes each chunk to dst `delay` after it was read (or sent, for
// a chunk read before notBefore), in order; src's end is passed on as dst's half-close, late
// by the same delay. A failed write ends both connections.
func delayedCopy(dst, src net.Conn, delay time.Duration, notBefore time.Time) {
	// Buffered, so that reading goes on while earlier chunks wait: the delay is latency, not
	// a bandwidth limit.
	chunks := make(chan chunk, 256)
	go func() {
		defer close(chunks)
		for {
			buf := make([]byte, 32*1024)
			n, err := src.Read(buf)
			if n > 0 {
				sent := time.Now()
				if sent.Before(notBefore) {
					sent = notBefore
				}
				chunks <- chunk{data: buf[:n], due: sent.Add(delay)}
			}
			if err != nil {
				chunks <- chunk{due: time.Now().Add(delay)} // the end, as an empty chunk
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.due))
		if c.data == nil {
			if tcp, ok := dst.(*net.TCPConn); ok {
				_ = tcp.CloseWrite()
			}
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			dst.Close()
			src.Close()
		}
	}
}
