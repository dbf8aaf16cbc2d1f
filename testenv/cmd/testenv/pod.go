package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Restart back-off of a container that exits: doubling from 1 s to 30 s (a kubelet's starts at
// 10 s and goes to 5 min; shorter here so that tests of restarts are quick).
const (
	backoffStart = time.Second
	backoffMax   = 30 * time.Second
)

// podRuntime is one admitted pod: its address, its volumes on disk and its containers.
type podRuntime struct {
	kubelet  *kubelet
	pod      *corev1.Pod
	ip       string
	dir      string
	hosts    string
	mounts   map[string]string // volume name → directory
	sandbox  *sandbox
	started  time.Time
	reported string

	mu         sync.Mutex
	containers []*container
	stopping   bool
}

type container struct {
	spec   corev1.Container
	binary string
	argv   []string
	env    []string
	log    string

	cmd        *exec.Cmd
	startedAt  time.Time
	restarts   int32
	lastExit   *corev1.ContainerStateTerminated
	notBefore  time.Time
	backoff    time.Duration
	ready      bool
	probeStops chan struct{}
}

// admit prepares a pod to run: every image must map to a program, every volume must be
// there. An error says what the pod waits for, and admission is tried again later.
func (k *kubelet) admit(pod *corev1.Pod) (*podRuntime, error) {
	rt := &podRuntime{kubelet: k, pod: pod, dir: k.podDir(pod), mounts: map[string]string{}}
	for _, c := range pod.Spec.Containers {
		binary, argv, err := resolve(c.Image, c.Command, c.Args)
		if err != nil {
			return nil, err
		}
		rt.containers = append(rt.containers, &container{spec: c, binary: binary, argv: argv, log: filepath.Join(rt.dir, c.Name+".log")})
	}
	if err := os.MkdirAll(rt.dir, 0o700); err != nil {
		return nil, err
	}
	if err := rt.writeVolumes(); err != nil {
		return nil, err
	}
	rt.ip = k.env.net.podIP(string(pod.UID))
	rt.hosts = filepath.Join(rt.dir, "hosts")
	if err := rt.writeHosts(k.lb.hostEntries()); err != nil {
		return nil, err
	}
	sb, err := newSandbox(rt.ip)
	if err != nil {
		return nil, err
	}
	rt.sandbox = sb
	sb.mirror(k.reachable(), rt.ports())
	for _, c := range rt.containers {
		env, err := rt.environment(c.spec)
		if err != nil {
			return nil, err
		}
		c.env = env
		c.argv = rt.inPod(c.argv)
		if c.binary == "kube-apiserver" {
			c.argv = append(c.argv, rt.auditFlags()...)
		}
	}
	rt.started = time.Now()
	logf("%s: pod %s/%s at %s", k.cluster.name, pod.Namespace, pod.Name, rt.ip)
	return rt, nil
}

// auditFlags record the requests a federation API server answers, like testenv's own API
// servers do, so tests count the action's writes to it (instrumentation, not behaviour).
func (rt *podRuntime) auditFlags() []string {
	name := fmt.Sprintf("pod-%s_%s_%s.log", rt.kubelet.cluster.name, rt.pod.Namespace, rt.pod.Name)
	return []string{
		"--audit-policy-file=" + rt.kubelet.env.policy,
		"--audit-log-path=" + filepath.Join(rt.kubelet.env.auditDir, name),
		"--audit-log-format=json",
	}
}

// reconcile starts containers that are not running, after their back-off.
func (rt *podRuntime) reconcile() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.stopping {
		return
	}
	for _, c := range rt.containers {
		if c.cmd != nil || time.Now().Before(c.notBefore) {
			continue
		}
		if err := rt.start(c); err != nil {
			c.lastExit = &corev1.ContainerStateTerminated{ExitCode: 128, Reason: "StartError", Message: err.Error(), FinishedAt: metav1.Now()}
			rt.scheduleRestart(c)
		}
	}
}

func (rt *podRuntime) start(c *container) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logFile, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	// In the pod's network and a mount namespace of its own, with the pod's hosts file over
	// /etc/hosts (podexec.go).
	binary := c.binary
	if !filepath.IsAbs(binary) {
		binary = filepath.Join(rt.kubelet.env.bin, binary)
	}
	args := append([]string{"pod-exec", "--netns", rt.sandbox.netns, "--hosts", rt.hosts, "--dir", rt.dir, "--",
		binary}, c.argv...)
	cmd := exec.Command(self, args...)
	cmd.Env = c.env
	cmd.Dir = rt.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return err
	}
	c.cmd, c.startedAt, c.ready = cmd, time.Now(), c.spec.ReadinessProbe == nil
	if c.spec.ReadinessProbe != nil {
		c.probeStops = make(chan struct{})
		go rt.probe(c, cmd, c.probeStops)
	}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		rt.exited(c, cmd, err)
	}()
	return nil
}

func (rt *podRuntime) exited(c *container, cmd *exec.Cmd, err error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if c.cmd != cmd {
		return
	}
	code := int32(0)
	if cmd.ProcessState != nil {
		code = int32(cmd.ProcessState.ExitCode())
	}
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	c.lastExit = &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason, Message: fmt.Sprint(err), StartedAt: metav1.NewTime(c.startedAt), FinishedAt: metav1.Now(),
	}
	if c.probeStops != nil {
		close(c.probeStops)
		c.probeStops = nil
	}
	c.cmd, c.ready = nil, false
	if !rt.stopping {
		logf("%s: container %s of pod %s/%s exited (%s); log: %s", rt.kubelet.cluster.name, c.spec.Name, rt.pod.Namespace, rt.pod.Name, c.lastExit.Message, c.log)
		c.restarts++
		rt.scheduleRestart(c)
	}
	rt.kubelet.poke()
}

func (rt *podRuntime) scheduleRestart(c *container) {
	if c.backoff == 0 || time.Since(c.startedAt) > 10*backoffMax {
		c.backoff = backoffStart
	} else if c.backoff *= 2; c.backoff > backoffMax {
		c.backoff = backoffMax
	}
	c.notBefore = time.Now().Add(c.backoff)
}

// stop ends every container: SIGTERM to its process group, SIGKILL after the pod's grace
// period (at most 10 s here).
func (rt *podRuntime) stop() {
	rt.mu.Lock()
	rt.stopping = true
	var cmds []*exec.Cmd
	for _, c := range rt.containers {
		if c.cmd != nil {
			cmds = append(cmds, c.cmd)
		}
	}
	rt.mu.Unlock()
	grace := 10 * time.Second
	if g := rt.pod.Spec.TerminationGracePeriodSeconds; g != nil && time.Duration(*g)*time.Second < grace {
		grace = time.Duration(*g) * time.Second
	}
	for _, cmd := range cmds {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for _, cmd := range cmds {
		for syscall.Kill(cmd.Process.Pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	if rt.sandbox != nil {
		rt.sandbox.stop()
	}
	rt.kubelet.env.net.release(string(rt.pod.UID))
}

// ports are the container ports the pod declares.
func (rt *podRuntime) ports() map[string]bool {
	out := map[string]bool{}
	for _, c := range rt.pod.Spec.Containers {
		for _, p := range c.Ports {
			out[fmt.Sprint(p.ContainerPort)] = true
		}
	}
	return out
}

// status is the pod's status as a kubelet reports it.
func (rt *podRuntime) status() corev1.PodStatus {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	allReady, allStarted := true, true
	var statuses []corev1.ContainerStatus
	for _, c := range rt.containers {
		s := corev1.ContainerStatus{Name: c.spec.Name, Image: c.spec.Image, ImageID: c.spec.Image, RestartCount: c.restarts, Ready: c.ready, LastTerminationState: corev1.ContainerState{Terminated: c.lastExit}}
		switch {
		case c.cmd != nil:
			s.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(c.startedAt)}
			s.Started = ptrBool(true)
		case c.lastExit != nil:
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: fmt.Sprintf("back-off %s restarting failed container (exit %d)", c.backoff, c.lastExit.ExitCode)}
		default:
			s.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
			allStarted = false
		}
		allReady = allReady && c.ready
		statuses = append(statuses, s)
	}
	phase := corev1.PodRunning
	if !allStarted {
		phase = corev1.PodPending
	}
	start := metav1.NewTime(rt.started)
	return corev1.PodStatus{
		Phase: phase, Conditions: podConditions(rt.pod, true, allReady), HostIP: "127.0.0.1",
		HostIPs: []corev1.HostIP{{IP: "127.0.0.1"}}, PodIP: rt.ip, PodIPs: []corev1.PodIP{{IP: rt.ip}},
		// The QoS class is the API server's, set from the requests at creation and immutable.
		StartTime: &start, ContainerStatuses: statuses, QOSClass: rt.pod.Status.QOSClass,
	}
}

func ptrBool(b bool) *bool { return &b }

// environment is the container's env, with values from Secrets, ConfigMaps and the pod's own
// fields, in the pod's network (see inPod).
func (rt *podRuntime) environment(c corev1.Container) ([]string, error) {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + rt.dir, "HOSTNAME=" + rt.pod.Name}
	for _, e := range c.Env {
		value := e.Value
		if from := e.ValueFrom; from != nil {
			var err error
			if value, err = rt.valueFrom(from); err != nil {
				return nil, fmt.Errorf("env %s of container %s: %w", e.Name, c.Name, err)
			}
		}
		env = append(env, e.Name+"="+rt.inPod([]string{value})[0])
	}
	return env, nil
}
