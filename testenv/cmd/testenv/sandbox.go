package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// sandbox is a pod's network namespace, as a kubelet's pod sandbox gives every pod one: the
// pod's containers share its loopback and ports, and no two pods collide on a port (KubeFed's
// webhook, for one, always listens on :8080 and :8443). It is held open by a `testenv
// pod-sandbox` process. Traffic crosses it two ways, both played by testenv: Services and the
// node's API servers are reachable from inside (mirror), and the load balancer and probes
// reach the pod's ports (dial).
type sandbox struct {
	cmd   *exec.Cmd
	ip    string // the pod's address: every 127.x address is local inside, so it needs no setup
	netns string

	mu      sync.Mutex
	mirrors map[endpoint]io.Closer // node endpoint → its listener inside the namespace
}

// endpoint is a listening address and its protocol ("tcp" or "udp").
type endpoint struct{ network, address string }

func newSandbox(ip string) (*sandbox, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "pod-sandbox")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("pod sandbox: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("pod sandbox did not start: %q %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, out); _ = cmd.Wait() }()
	return &sandbox{cmd: cmd, ip: ip, netns: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid), mirrors: map[endpoint]io.Closer{}}, nil
}

// podSandbox is the sandbox process: in its new network namespace it brings the loopback up,
// says so, and waits to be killed.
func podSandbox() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	unix.Close(fd)
	// The load balancers' addresses (addresses.go) are local in the node's namespace; here too,
	// so that mirror can listen on them inside the pod as on the loopback addresses.
	if out, err := exec.Command("ip", "route", "add", "local", "172.31.0.0/16", "dev", "lo", "table", "local").
		CombinedOutput(); err != nil {
		return fmt.Errorf("local route for the load-balancer addresses: %v: %s", err, out)
	}
	fmt.Println("ready")
	select {}
}

func (s *sandbox) stop() {
	s.mu.Lock()
	for _, l := range s.mirrors {
		l.Close()
	}
	s.mirrors = map[endpoint]io.Closer{}
	s.mu.Unlock()
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
}

// inside runs fn on an OS thread that has entered the namespace, then brings the thread back
// to the node's namespace. (A thread must not simply end here: the children testenv starts with
// Pdeathsig die when the thread that started them ends, and Go may have started one on it.)
func (s *sandbox) inside(fn func()) error {
	runtime.LockOSThread()
	home, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(home)
	fd, err := unix.Open(s.netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return err
	}
	fn()
	if err := unix.Setns(home, unix.CLONE_NEWNET); err != nil {
		// A thread left in a pod's network would put later work there: stop loudly.
		panic(fmt.Sprintf("testenv: cannot return to the node's network namespace: %v", err))
	}
	runtime.UnlockOSThread()
	return nil
}

// dial connects to an address in the pod's network (the pod's own ports). A socket keeps the
// namespace it was made in, so the connection stays in the pod's network after inside returns.
func (s *sandbox) dial(ctx context.Context, network, address string) (net.Conn, error) {
	var conn net.Conn
	var dialErr error
	if err := s.inside(func() { conn, dialErr = (&net.Dialer{}).DialContext(ctx, network, address) }); err != nil {
		return nil, err
	}
	return conn, dialErr
}

// mirror makes each of the given endpoints of the node reachable at the same address from
// inside the pod, forwarding to the node: the test clusters' API servers, testenv's etcd and DNS
// server, and the cluster's Services. Endpoints that went away are dropped. A port the pod
// declares is left to the pod (a program listening on all addresses would collide with a
// mirror on that port).
func (s *sandbox) mirror(hostListeners map[endpoint]bool, podPorts map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ep, l := range s.mirrors {
		if !hostListeners[ep] {
			l.Close()
			delete(s.mirrors, ep)
		}
	}
	for ep := range hostListeners {
		if _, port, _ := net.SplitHostPort(ep.address); podPorts[port] {
			continue
		}
		if _, ok := s.mirrors[ep]; ok {
			continue
		}
		var l io.Closer
		var listenErr error
		err := s.inside(func() {
			if ep.network == "udp" {
				l, listenErr = net.ListenPacket("udp", ep.address)
			} else {
				l, listenErr = net.Listen("tcp", ep.address)
			}
		})
		if err != nil || listenErr != nil {
			continue // the pod listens there itself
		}
		s.mirrors[ep] = l
		// The forwarding goroutines dial from the node's namespace (inside has returned).
		if pc, ok := l.(net.PacketConn); ok {
			target := ep.address
			go relayUDP(pc, func() (net.Conn, func() bool, error) {
				conn, err := net.Dial("udp", target)
				return conn, func() bool { return true }, err
			})
		} else {
			go forwardAll(l.(net.Listener), ep.address)
		}
	}
}

func forwardAll(l net.Listener, target string) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			upstream, err := net.DialTimeout("tcp", target, 5*time.Second)
			if err != nil {
				return
			}
			pipe(conn, upstream)
		}()
	}
}

// pipe copies both ways until either side is done.
func pipe(a, b net.Conn) {
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(a, b); done <- struct{}{} }()
	go func() { _, _ = io.Copy(b, a); done <- struct{}{} }()
	<-done
}

// nodeListeners lists the node's listeners on 127.0.0.1 in the ephemeral and NodePort ranges,
// TCP and UDP: the test clusters' API servers (and NodePorts), testenv's etcd and its DNS
// server, which pods reach as they would reach a cluster's API server or the cloud's DNS. Lower
// ports on 127.0.0.1 stay each pod's own.
func nodeListeners() map[endpoint]bool {
	out := map[endpoint]bool{}
	// A listening TCP socket is in state 0A (LISTEN); a bound, unconnected UDP socket in 07
	// (CLOSE) with no remote address (a connected one is some client's).
	procListeners(out, "tcp", "/proc/self/net/tcp", "0A")
	procListeners(out, "udp", "/proc/self/net/udp", "07")
	return out
}

func procListeners(out map[endpoint]bool, network, file, state string) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) < 4 || fields[3] != state || fields[2] != "00000000:0000" {
			continue
		}
		host, port, _ := strings.Cut(fields[1], ":")
		p, err := strconv.ParseUint(port, 16, 16)
		if host == "0100007F" && err == nil && p >= 30000 { // 127.0.0.1, little-endian
			out[endpoint{network, net.JoinHostPort("127.0.0.1", fmt.Sprint(p))}] = true
		}
	}
}
