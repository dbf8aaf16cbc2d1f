package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// probe runs a container's readiness probe as a kubelet does (HTTP GET or TCP connect, at its
// period, after its initial delay; HTTPS without verifying the certificate) and records the
// verdict.
func (rt *podRuntime) probe(c *container, cmd *exec.Cmd, stop <-chan struct{}) {
	p := c.spec.ReadinessProbe
	period := time.Duration(max(p.PeriodSeconds, 1)) * time.Second
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	successes, failures := 0, 0
	wait := time.Duration(p.InitialDelaySeconds) * time.Second
	for {
		select {
		case <-stop:
			return
		case <-time.After(wait):
		}
		wait = period
		ok := rt.check(c, p, timeout)
		if ok {
			successes, failures = successes+1, 0
		} else {
			successes, failures = 0, failures+1
		}
		rt.mu.Lock()
		if c.cmd != cmd {
			rt.mu.Unlock()
			return
		}
		before := c.ready
		if ok && successes >= int(max(p.SuccessThreshold, 1)) {
			c.ready = true
		}
		if !ok && failures >= int(max(p.FailureThreshold, 1)) {
			c.ready = false
		}
		changed := before != c.ready
		rt.mu.Unlock()
		if changed {
			rt.kubelet.poke()
		}
	}
}

func (rt *podRuntime) check(c *container, p *corev1.Probe, timeout time.Duration) bool {
	host := rt.ip
	switch {
	case p.HTTPGet != nil:
		if p.HTTPGet.Host != "" {
			host = p.HTTPGet.Host
		}
		port := targetPort(rt.pod, p.HTTPGet.Port, 0)
		scheme := "http"
		if p.HTTPGet.Scheme == corev1.URISchemeHTTPS {
			scheme = "https"
		}
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
			DialContext: func(ctx context.Context, _, address string) (net.Conn, error) {
				return rt.sandbox.dial(ctx, "tcp", address)
			},
		}}
		resp, err := client.Get(fmt.Sprintf("%s://%s%s", scheme, net.JoinHostPort(host, fmt.Sprint(port)), p.HTTPGet.Path))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode >= 200 && resp.StatusCode < 400
	case p.TCPSocket != nil:
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		conn, err := rt.sandbox.dial(ctx, "tcp", net.JoinHostPort(host, fmt.Sprint(targetPort(rt.pod, p.TCPSocket.Port, 0))))
		if err != nil {
			return false
		}
		conn.Close()
		return true
	}
	// Exec and gRPC probes are not played: the container counts as ready while it runs.
	return true
}
