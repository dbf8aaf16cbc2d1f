package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// podExec runs as `testenv pod-exec --netns NS --hosts FILE --dir DIR -- PROGRAM ARGV...`,
// already in a mount namespace of its own (the kubelet starts it with CLONE_NEWNS): it enters
// the pod's network namespace, puts the pod's hosts file over /etc/hosts, so the program
// resolves in-cluster Service names as a pod does, and becomes the program (argv[0] as the
// container names it: hyperfed picks its command by it).
func podExec(args []string) error {
	// setns applies to this thread, and exec keeps the namespaces of the thread that calls it.
	runtime.LockOSThread()
	var netns, hosts, dir string
	for len(args) > 0 && args[0] != "--" {
		if len(args) < 2 {
			return fmt.Errorf("pod-exec: %s needs a value", args[0])
		}
		switch args[0] {
		case "--netns":
			netns = args[1]
		case "--hosts":
			hosts = args[1]
		case "--dir":
			dir = args[1]
		default:
			return fmt.Errorf("pod-exec: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 3 {
		return fmt.Errorf("usage: testenv pod-exec --hosts FILE --dir DIR -- PROGRAM ARGV0 [ARGS...]")
	}
	program, argv := args[1], args[2:]
	if hosts != "" {
		if err := syscall.Mount(hosts, "/etc/hosts", "", syscall.MS_BIND, ""); err != nil {
			return fmt.Errorf("pod-exec: bind %s over /etc/hosts: %w", hosts, err)
		}
	}
	if netns != "" {
		fd, err := unix.Open(netns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("pod-exec: %w", err)
		}
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("pod-exec: enter %s: %w", netns, err)
		}
		unix.Close(fd)
	}
	if dir != "" {
		if err := os.Chdir(dir); err != nil {
			return err
		}
	}
	return syscall.Exec(program, argv, os.Environ())
}
