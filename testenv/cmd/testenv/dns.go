package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// providerCorefile is the DNS provider's server: CoreDNS answering every zone from the records
// external-dns's coredns provider writes under /skydns in testenv's etcd. With no fallthrough, a
// name that has no record is NXDOMAIN, as a provider's authoritative server answers it.
const providerCorefile = `.:%d {
    bind %s
    etcd {
        path /skydns
        endpoint %s
    }
    log
    errors
}
`

// startDNS runs the DNS provider's server (UDP and TCP) on loopback and on the host bridge,
// whose address it returns: a member's CoreDNS, in a Pod, forwards to it there.
func startDNS(o options, procs *processes, hn *hostNetwork, etcdURL string) (string, error) {
	port, err := freeDNSPort(hn.listenIPs())
	if err != nil {
		return "", err
	}
	corefile := filepath.Join(o.state, "Corefile")
	if err := os.WriteFile(corefile, []byte(fmt.Sprintf(providerCorefile, port, strings.Join(hn.listenIPs(), " "), etcdURL)), 0o600); err != nil {
		return "", err
	}
	if _, err := procs.start("coredns", filepath.Join(o.state, "coredns.log"), filepath.Join(o.bin, "coredns"), "-conf", corefile); err != nil {
		return "", err
	}
	address := net.JoinHostPort(hn.hostIP(), fmt.Sprint(port))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if dnsAnswers(address) {
			logf("DNS provider's server at %s", address)
			return address, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("the DNS server (CoreDNS) does not answer at %s after 30s", address)
}

// freeDNSPort finds a port free for both TCP and UDP on the given addresses.
func freeDNSPort(ips []string) (int, error) {
	for tries := 0; tries < 100; tries++ {
		port, err := freePort(ips...)
		if err != nil {
			return 0, err
		}
		free := true
		for _, ip := range ips {
			pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, fmt.Sprint(port)))
			if err != nil {
				free = false
				break
			}
			pc.Close()
		}
		if free {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free for both TCP and UDP")
}

// dnsAnswers sends a query for the root's SOA over UDP and tells whether any answer came.
func dnsAnswers(address string) bool {
	conn, err := net.DialTimeout("udp", address, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	// Header: id 0x7e57, recursion desired, one question; the question: ".", SOA (6), IN (1).
	query := []byte{0x7e, 0x57, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1}
	if _, err := conn.Write(query); err != nil {
		return false
	}
	_ = conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	reply := make([]byte, 512)
	n, err := conn.Read(reply)
	return err == nil && n >= 12 && reply[0] == 0x7e && reply[1] == 0x57
}
