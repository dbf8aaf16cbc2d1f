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
	mirrors map[string]net.Listener // host address → its listener inside the namespace
}

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
	return &sandbox{cmd: cmd, ip: ip, netns: fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid), mirrors: map[string]net.Listener{}}, nil
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
	fmt.Println("ready")
	select {}
}

func (s *sandbox) stop() {
	s.mu.Lock()
	for _, l := range s.mirrors {
		l.Close()
	}
	s.mirrors = map[string]net.Listener{}
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

// dial connects to an address in the pod's network (the pod's own ports).
func (s *sandbox) dial(ctx context.Context, address string) (net.Conn, error) {
	var conn net.Conn
	var dialErr error
	if err := s.inside(func() { conn, dialErr = (&net.Dialer{}).DialContext(ctx, "tcp", address) }); err != nil {
		return nil, err
	}
	return conn, dialErr
}

// mirror makes each of the given addresses of the node reachable at the same address from
// inside the pod, forwarding to the node: the test clusters' API servers and the cluster's
// Services. Addresses that went away are dropped. A port the pod declares is left to the pod
// (a program listening on all addresses would collide with a mirror on that port).
func (s *sandbox) mirror(hostListeners map[string]bool, podPorts map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, l := range s.mirrors {
		if !hostListeners[addr] {
			l.Close()
			delete(s.mirrors, addr)
		}
	}
	for addr := range hostListeners {
		if _, port, _ := net.SplitHostPort(addr); podPorts[port] {
			continue
		}
		if _, ok := s.mirrors[addr]; ok {
			continue
		}
		var l net.Listener
		var listenErr error
		if err := s.inside(func() { l, listenErr = net.Listen("tcp", addr) }); err != nil || listenErr != nil {
			continue // the pod listens there itself
		}
		s.mirrors[addr] = l
		go forwardAll(l, addr)
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

// nodeListeners lists the node's listeners on 127.0.0.1 in the ephemeral and NodePort ranges:
// the test clusters' API servers (and NodePorts), which pods reach as they would reach a
// cluster's API server. Lower ports on 127.0.0.1 stay each pod's own.
func nodeListeners() map[string]bool {
	out := map[string]bool{}
	raw, err := os.ReadFile("/proc/self/net/tcp")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(raw), "\n")[1:] {
		fields := strings.Fields(line)
		if len(fields) < 4 || fields[3] != "0A" { // 0A: LISTEN
			continue
		}
		host, port, _ := strings.Cut(fields[1], ":")
		p, err := strconv.ParseUint(port, 16, 16)
		if host == "0100007F" && err == nil && p >= 30000 { // 127.0.0.1, little-endian
			out[net.JoinHostPort("127.0.0.1", fmt.Sprint(p))] = true
		}
	}
	return out
}
