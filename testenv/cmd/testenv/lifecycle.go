package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyInfo is written to STATE/ready.json once every cluster answers /readyz; test code
// reads it to find the kubeconfig, the audit logs, the etcd endpoint and the DNS provider's
// server (host:port, UDP and TCP).
type readyInfo struct {
	Kubeconfig string        `json:"kubeconfig"`
	Etcd       string        `json:"etcd"`
	DNS        string        `json:"dns"`
	AuditDir   string        `json:"auditDir"`
	Clusters   []clusterInfo `json:"clusters"`
}

type clusterInfo struct {
	Name     string `json:"name"`
	Context  string `json:"context"`
	Server   string `json:"server"`
	AuditLog string `json:"auditLog"`
}

// up starts the supervisor in its own session, so it outlives this command, and returns
// once it reports ready (or prints the tail of its log if it fails).
func up(args []string) error {
	o, err := parseOptions("up", args)
	if err != nil {
		return err
	}
	// A malformed --clusters fails here rather than in the supervisor's log.
	if _, err := parseClusters(o.clusters); err != nil {
		return err
	}
	if pid, alive := supervisorPID(o.state); alive {
		return fmt.Errorf("already running (pid %d) with state in %s; run 'testenv down' first", pid, o.state)
	}
	if err := os.RemoveAll(o.state); err != nil {
		return err
	}
	if err := os.MkdirAll(o.state, 0o700); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(o.state, "serve.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, append([]string{"serve"}, o.args()...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	readyPath := filepath.Join(o.state, "ready.json")
	deadline := time.After(6 * time.Minute)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("supervisor exited (%v); last lines of %s:\n%s", err, logFile.Name(), tail(logFile.Name(), 30))
		case <-deadline:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return fmt.Errorf("clusters not ready after 6m; see %s:\n%s", logFile.Name(), tail(logFile.Name(), 30))
		case <-time.After(200 * time.Millisecond):
			if _, err := os.Stat(readyPath); err == nil {
				fmt.Printf("testenv: clusters %s ready; kubeconfig %s\n", o.clusters, o.kubeconfig)
				return nil
			}
		}
	}
}

// down stops the supervisor, which stops every process it started, and waits for it to go.
func down(args []string) error {
	o, err := parseOptions("down", args)
	if err != nil {
		return err
	}
	pid, alive := supervisorPID(o.state)
	if !alive {
		fmt.Println("testenv: nothing running")
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	// Its cleanup stops every node's processes, then removes their containers, mounts and
	// namespaces: allow it 60 s.
	for i := 0; i < 600; i++ {
		if syscall.Kill(pid, 0) != nil {
			fmt.Println("testenv: stopped")
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	return errors.New("supervisor did not stop in 60s; killed its process group")
}

func supervisorPID(state string) (int, bool) {
	raw, err := os.ReadFile(filepath.Join(state, "serve.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		return 0, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

// serve is the supervisor: it starts everything, writes ready.json, and on SIGTERM/SIGINT
// (or when the watched process exits) stops everything it started.
func serve(args []string) error {
	o, err := parseOptions("serve", args)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.state, "serve.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	procs := &processes{}
	env := &environment{stopCh: make(chan struct{})}
	// On the way out, in order: the informers, every process, then what the nodes leave behind
	// (containers, mounts, cgroups, namespaces), the volumes and the host bridge.
	defer func() {
		close(env.stopCh)
		procs.stopAll()
		env.nodes.remove()
		env.volumes.remove()
		if env.net != nil {
			env.net.remove()
		}
		// The project's image archive (the programs' stay in the build's cache), and etcd's
		// data: some 150 MB each, which a test run would otherwise leave behind by the dozen.
		// The logs stay.
		_ = os.RemoveAll(filepath.Join(o.state, "images"))
		_ = os.RemoveAll(filepath.Join(o.state, "etcd"))
		logf("stopped")
	}()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	if o.watchPID > 0 {
		go watchProcess(o.watchPID, stop)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startErr := make(chan error, 1)
	go func() { startErr <- start(ctx, o, procs, env) }()
	select {
	case err := <-startErr:
		if err != nil {
			return err
		}
	case <-stop:
		cancel()
		<-startErr
		return errors.New("stopped while starting")
	case name := <-procs.died:
		cancel()
		<-startErr
		return fmt.Errorf("%s exited while starting", name)
	}
	raw, _ := json.MarshalIndent(env.info, "", "  ")
	// Written whole or not at all: `up` returns as soon as ready.json exists, and its reader
	// must never see half a file.
	ready := filepath.Join(o.state, "ready.json")
	if err := os.WriteFile(ready+".tmp", raw, 0o600); err != nil {
		return err
	}
	if err := os.Rename(ready+".tmp", ready); err != nil {
		return err
	}
	logf("ready")
	select {
	case <-stop:
	case name := <-procs.died:
		logf("%s exited; stopping", name)
	}
	_ = os.Remove(filepath.Join(o.state, "ready.json"))
	return nil
}

func watchProcess(pid int, stop chan<- os.Signal) {
	for syscall.Kill(pid, 0) == nil {
		time.Sleep(time.Second)
	}
	logf("watched process %d exited", pid)
	stop <- syscall.SIGTERM
}

func logf(format string, args ...any) {
	fmt.Printf("%s %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

func tail(path string, lines int) string {
	raw, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
