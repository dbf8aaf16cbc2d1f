package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// processes tracks the long-running children (etcd, API servers, controller managers).
// A child that dies on its own is reported on died, which stops the supervisor: a test
// environment with a missing piece must fail loudly, not limp on.
type processes struct {
	mu    sync.Mutex
	list  []*exec.Cmd
	died  chan string
	going bool
	// undo holds what to take back once the processes are gone (the latency proxies).
	undo []func()
}

// atStop runs undo after stopAll has stopped the processes.
func (p *processes) atStop(undo func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.undo = append(p.undo, undo)
}

func (p *processes) start(name, logPath, bin string, args ...string) (*exec.Cmd, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.died == nil {
		p.died = make(chan string, 1)
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Children die with the supervisor even if it is killed outright.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p.list = append(p.list, cmd)
	go func() {
		err := cmd.Wait()
		logFile.Close()
		p.mu.Lock()
		going := p.going
		p.mu.Unlock()
		if !going {
			logf("%s exited: %v (log: %s)", name, err, logPath)
			select {
			case p.died <- name:
			default:
			}
		}
	}()
	return cmd, nil
}

func (p *processes) stopAll() {
	p.mu.Lock()
	p.going = true
	list, undo := p.list, p.undo
	p.mu.Unlock()
	stopProcesses(list)
	for _, f := range undo {
		f()
	}
}

// stopProcesses sends SIGTERM, then SIGKILL to whatever has not exited after 5 s.
func stopProcesses(cmds []*exec.Cmd) {
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range cmds {
		for c.ProcessState == nil && syscall.Kill(c.Process.Pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = c.Process.Kill()
	}
}

// freePort asks the kernel for a port unused on the first address and free on the others too
// (etcd and the DNS server listen on loopback and on the host bridge).
func freePort(addrs ...string) (int, error) {
	for tries := 0; tries < 100; tries++ {
		l, err := net.Listen("tcp", net.JoinHostPort(addrs[0], "0"))
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		free := true
		for _, addr := range addrs[1:] {
			free = free && freeIPPort(addr, port)
		}
		if free {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no port free on all of %v", addrs)
}
