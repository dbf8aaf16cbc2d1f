package main

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"
)

// Every kubelet binds its device-plugin registration socket at a path compiled into it
// (DevicePluginPath in k8s.io/kubelet's pkg/apis/deviceplugin/v1beta1), and removes every
// socket in that directory just before it binds (CleanupPluginDirectory in the kubelet's
// pkg/kubelet/cm/devicemanager). A real machine runs one kubelet; this one runs a kubelet per
// node, so two starting together can both clean the directory, and the second to listen gets
// "address already in use" and exits ("Failed to start ContainerManager"; CI on 2026-12-01,
// three nodes whose image imports ended together). Each kubelet starts alone, then, until it
// has bound its socket: an flock on the shared directory, so testenv processes started by
// other tests wait too. A kubelet that binds later, once others run, removes only their
// socket files, which no one dials; their listeners stay open.
const devicePluginDir = "/var/lib/kubelet/device-plugins"

const devicePluginSocket = devicePluginDir + "/kubelet.sock"

// oneKubeletBindingAtATime runs start (which starts a kubelet and gives its pid) under the
// lock, and holds the lock until that kubelet has bound the socket, has exited, or 60 s pass.
func oneKubeletBindingAtATime(start func() (pid int, err error)) error {
	if err := os.MkdirAll(devicePluginDir, 0o750); err != nil {
		return err
	}
	dir, err := os.Open(devicePluginDir)
	if err != nil {
		return err
	}
	defer dir.Close()
	if err := syscall.Flock(int(dir.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock %s: %w", devicePluginDir, err)
	}
	defer syscall.Flock(int(dir.Fd()), syscall.LOCK_UN)
	pid, err := start()
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		// The node's network namespace is the kubelet's own: only it binds this path there.
		sockets, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/unix", pid))
		if err != nil || bindsPath(string(sockets), devicePluginSocket) {
			return nil // gone (the supervisor reports it) or bound
		}
	}
	return nil
}

// bindsPath reads /proc/<pid>/net/unix, whose last column is a bound socket's path.
func bindsPath(procNetUnix, path string) bool {
	for _, line := range strings.Split(procNetUnix, "\n") {
		if fields := strings.Fields(line); len(fields) > 0 && fields[len(fields)-1] == path {
			return true
		}
	}
	return false
}
