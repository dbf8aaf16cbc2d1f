package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fedServer is one federation API server the stand-in runs for a Deployment.
type fedServer struct {
	cluster    string
	generation int64
	addr       string
	cmd        *exec.Cmd
	exitedAt   atomic.Int64 // unix nanos; 0 while running
	serving    atomic.Bool
	stopCh     chan struct{}
}

func (f *fedServer) stop() {
	select {
	case <-f.stopCh:
	default:
		close(f.stopCh)
	}
	if f.exitedAt.Load() == 0 {
		stopProcesses([]*exec.Cmd{f.cmd})
	}
}

func isFederationAPIServer(d *appsv1.Deployment) bool {
	return apiServerContainer(d) != nil
}

func apiServerContainer(d *appsv1.Deployment) *corev1.Container {
	for i, c := range d.Spec.Template.Spec.Containers {
		if len(c.Command) > 0 && filepath.Base(c.Command[0]) == "kube-apiserver" {
			return &d.Spec.Template.Spec.Containers[i]
		}
	}
	return nil
}

// runFederationAPIServer keeps a local kube-apiserver running for the Deployment's current
// template, as a kubelet keeps its pod, and says whether it is serving.
func (cs *clusterStandin) runFederationAPIServer(key string, d *appsv1.Deployment) bool {
	cs.mu.Lock()
	f := cs.servers[key]
	cs.mu.Unlock()
	if f != nil && f.generation == d.Generation {
		exited := f.exitedAt.Load()
		if exited == 0 {
			return f.serving.Load()
		}
		// Crashed: restart after a pause, as a kubelet would (CrashLoopBackOff).
		if time.Since(time.Unix(0, exited)) < 3*time.Second {
			return false
		}
	}
	if f != nil {
		f.stop()
	}
	f, err := cs.startFederationAPIServer(key, d)
	cs.mu.Lock()
	if err != nil {
		delete(cs.servers, key)
	} else {
		cs.servers[key] = f
	}
	cs.mu.Unlock()
	if err != nil {
		logf("%s: federation API server %s not started: %v", cs.cluster.name, key, err)
	}
	return false
}

func (cs *clusterStandin) startFederationAPIServer(key string, d *appsv1.Deployment) (*fedServer, error) {
	svc := cs.serviceFor(d)
	if svc == nil || len(svc.Spec.Ports) == 0 {
		return nil, fmt.Errorf("no Service selects its pods yet")
	}
	container := apiServerContainer(d)
	host, port := "", int32(0)
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer:
		if len(svc.Status.LoadBalancer.Ingress) == 0 {
			return nil, fmt.Errorf("load balancer has no address yet")
		}
		host, port = svc.Status.LoadBalancer.Ingress[0].IP, svc.Spec.Ports[0].Port
	case corev1.ServiceTypeNodePort:
		host, port = flagValue(container.Args, "--advertise-address"), svc.Spec.Ports[0].NodePort
		if host == "" {
			host = "127.0.0.1"
		}
	default:
		return nil, fmt.Errorf("service type %s is not reachable from outside", svc.Spec.Type)
	}
	dir := filepath.Join(cs.state, "federations", strings.ReplaceAll(key, "/", "_"))
	mounts, err := cs.materializeSecrets(d, container, filepath.Join(dir, "volumes"))
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(host, fmt.Sprint(port))
	args := rewriteArgs(container.Args, mounts, map[string]string{
		"--etcd-servers":      cs.etcdURL,
		"--etcd-prefix":       cs.etcdPrefix(key, d),
		"--bind-address":      host,
		"--secure-port":       fmt.Sprint(port),
		"--cert-dir":          filepath.Join(dir, "generated"),
		"--audit-log-path":    filepath.Join(cs.auditDir, "federation-"+strings.ReplaceAll(key, "/", "_")+".log"),
		"--audit-policy-file": cs.policy,
		"--audit-log-format":  "json",
	})
	logPath := filepath.Join(dir, "kube-apiserver.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(cs.bin, "kube-apiserver"), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	logf("%s: federation API server %s (generation %d) starting on %s", cs.cluster.name, key, d.Generation, addr)
	f := &fedServer{cluster: cs.cluster.name, generation: d.Generation, addr: addr, cmd: cmd, stopCh: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		f.exitedAt.Store(time.Now().UnixNano())
		f.serving.Store(false)
		logf("%s: federation API server %s exited: %v (log: %s)", cs.cluster.name, key, err, logPath)
	}()
	go f.probe()
	go cs.runClusterController(f, dir)
	return f, nil
}

// probe marks the server serving once it answers HTTPS at all: with anonymous auth turned off
// (a flag the guide shows) /readyz answers 401, which still proves it is up.
func (f *fedServer) probe() {
	for {
		select {
		case <-f.stopCh:
			return
		case <-time.After(250 * time.Millisecond):
		}
		if f.exitedAt.Load() != 0 {
			return
		}
		resp, err := httpClient.Get("https://" + f.addr + "/readyz")
		if err != nil {
			continue
		}
		resp.Body.Close()
		if resp.StatusCode == 200 || resp.StatusCode == 401 || resp.StatusCode == 403 {
			f.serving.Store(true)
			return
		}
	}
}

// etcdPrefix keeps the federation's data for as long as its volume would live: a claim keeps
// it across restarts and re-creation; an emptyDir loses it whenever the pod is replaced.
func (cs *clusterStandin) etcdPrefix(key string, d *appsv1.Deployment) string {
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			return fmt.Sprintf("/federations/%s/%s/claim-%s", cs.cluster.name, d.Namespace, v.PersistentVolumeClaim.ClaimName)
		}
	}
	return fmt.Sprintf("/federations/%s/emptydir-%d", strings.ReplaceAll(key, "/", "_"), time.Now().UnixNano())
}

// materializeSecrets writes each Secret volume the container mounts to a directory, as the
// kubelet would, and returns mount path → directory.
func (cs *clusterStandin) materializeSecrets(d *appsv1.Deployment, c *corev1.Container, root string) (map[string]string, error) {
	mounts := map[string]string{}
	for _, vm := range c.VolumeMounts {
		for _, v := range d.Spec.Template.Spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			secret, err := cs.client.CoreV1().Secrets(d.Namespace).Get(context.Background(), v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				return nil, fmt.Errorf("secret volume %s: %w", v.Name, err)
			}
			files := map[string][]byte{}
			for k, val := range secret.Data {
				files[k] = val
			}
			for _, item := range v.Secret.Items {
				files[item.Path] = secret.Data[item.Key]
			}
			dir := filepath.Join(root, v.Name)
			_ = os.RemoveAll(dir)
			if err := writeFiles(dir, files); err != nil {
				return nil, err
			}
			mounts[vm.MountPath] = dir
		}
	}
	return mounts, nil
}

// rewriteArgs maps paths inside the pod to the materialized volumes, and replaces (or adds)
// the flags that tie the server to this machine rather than to a pod.
func rewriteArgs(args []string, mounts map[string]string, set map[string]string) []string {
	var out []string
	for _, a := range args {
		name, value, hasValue := strings.Cut(a, "=")
		if _, replaced := set[name]; replaced {
			continue
		}
		if !hasValue {
			out = append(out, a)
			continue
		}
		for mountPath, dir := range mounts {
			if strings.HasPrefix(value, mountPath+"/") {
				value = dir + strings.TrimPrefix(value, mountPath)
			}
		}
		out = append(out, name+"="+value)
	}
	for name, value := range set {
		out = append(out, name+"="+value)
	}
	return out
}

func flagValue(args []string, name string) string {
	for _, a := range args {
		if n, v, ok := strings.Cut(a, "="); ok && n == name {
			return v
		}
	}
	return ""
}
