// Command testenv runs real Kubernetes control planes on 127.0.0.1 for kubefed-action's tests:
// one etcd, and for each named cluster a kube-apiserver (its own etcd prefix, client-certificate
// auth, RBAC, an audit log of writes) with a kube-controller-manager beside it for the controllers
// the action depends on (service-account tokens, namespace deletion, garbage collection).
//
// Each cluster also runs kube-scheduler and has one Node, whose kubelet testenv plays
// (kubelet.go): it runs every container of the pods bound there as the real program built from
// its image's source. testenv also plays the cloud's load balancer (loadbalancer.go) and the DNS
// provider's server (dns.go: CoreDNS serving the zones external-dns writes to testenv's etcd).
// It plays no controller: the real ones decide, from what the kubelet reports, what is available.
//
// One API server may also stand for several clusters (SERVER=CTX1+CTX2+..., contexts.go), so that
// the benchmark's 100 members fit on 2 cores.
//
//	testenv up --clusters rivendell,gondor=gondor_needs-no_king,s01=m001+m002 --kubeconfig FILE [--state DIR]
//	           [--node NODE --project DIR] [--latency ONE-WAY-DELAY]
//	testenv down [--state DIR]
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	// The nodes' containerd runs testenv as runc (runc.go).
	if filepath.Base(os.Args[0]) == "runc" {
		if err := runcWrapper(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "testenv runc:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  testenv up --clusters NAME[=CONTEXT]|SERVER=CTX1+CTX2+...,... --kubeconfig FILE [--state DIR] [--watch-pid PID]
             [--node NODE --project DIR] [--latency ONE-WAY-DELAY]
  testenv down [--state DIR]`)
	os.Exit(2)
}

// options are shared by up and serve (up passes them through to the supervisor it starts).
type options struct {
	clusters   string
	kubeconfig string
	state      string
	bin        string
	watchPID   int
	// node and project run the project's own image (images.go): the node binary, and the
	// repository whose dist/cli.js the image's /app/dist/cli.js stands for.
	node    string
	project string
	// latency is the one-way delay of the proxy in front of each API server (latency.go).
	latency time.Duration
}

func defaultState() string {
	return filepath.Join(os.TempDir(), "kubefed-testenv")
}

func parseOptions(name string, args []string) (options, error) {
	self, _ := os.Executable()
	var o options
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&o.clusters, "clusters", "rivendell,gondor,noldor", "clusters to start, comma-separated: NAME, NAME=CONTEXT, or SERVER=CTX1+CTX2+... (one API server, a context per CTX)")
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "where to write the kubeconfig (default STATE/kubeconfig)")
	fs.StringVar(&o.state, "state", defaultState(), "directory for data, logs and the supervisor's pid")
	fs.StringVar(&o.bin, "bin", filepath.Dir(self), "directory holding the built programs (testenv/index.mjs builds them)")
	fs.IntVar(&o.watchPID, "watch-pid", 0, "stop everything when this process exits (for test runners)")
	fs.StringVar(&o.node, "node", "", "node binary that runs the project's image (without it, that image's pods wait)")
	fs.StringVar(&o.project, "project", "", "the project's repository root: its package.json and dist/cli.js make the project's image")
	fs.DurationVar(&o.latency, "latency", 0, "one-way delay added in front of every API server (e.g. 25ms): a proxy at the published address")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.kubeconfig == "" {
		o.kubeconfig = filepath.Join(o.state, "kubeconfig")
	}
	var err error
	if o.state, err = filepath.Abs(o.state); err != nil {
		return o, err
	}
	if o.kubeconfig, err = filepath.Abs(o.kubeconfig); err != nil {
		return o, err
	}
	if o.project != "" {
		o.project, err = filepath.Abs(o.project)
	}
	return o, err
}

func (o options) args() []string {
	return []string{
		"--clusters", o.clusters, "--kubeconfig", o.kubeconfig, "--state", o.state,
		"--bin", o.bin, "--watch-pid", fmt.Sprint(o.watchPID), "--node", o.node, "--project", o.project,
		"--latency", o.latency.String(),
	}
}
