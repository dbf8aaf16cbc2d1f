package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// auditPolicy records every write, and every request of the users the action acts as (the
// kubeconfig's kubernetes-admin and the federation's admin), at Metadata level: tests count the
// writes an action run sent, and the benchmark counts its requests.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: Metadata
  users: [kubernetes-admin, admin]
- level: None
`

// httpClient is for health probes of servers whose certificates testenv did not issue.
var httpClient = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// environment is what one testenv made: what ready.json says, the host network, the nodes.
type environment struct {
	info    readyInfo
	net     *hostNetwork
	nodes   nodes
	volumes volumes
	stopCh  chan struct{}
}

type cluster struct {
	name, context string
	// members are the kubeconfig's contexts for this API server (contexts.go): the one context
	// of NAME[=CONTEXT], or one per context of SERVER=CTX1+CTX2+...
	members  []member
	shared   bool // SERVER=CTX1+CTX2+...
	dir      string
	server   string
	ca       *authority
	admin    keyPair // testenv's own identity on the cluster
	auditLog string
	config   *rest.Config
}

func start(ctx context.Context, o options, procs *processes, env *environment) error {
	clusters, err := parseClusters(o.clusters)
	if err != nil {
		return err
	}
	if env.net, err = newHostNetwork(); err != nil {
		return err
	}
	env.net.delay = o.latency
	logf("host network: bridge %s at %s", env.net.bridge, env.net.hostIP())
	// Every node holds every image of the table: written once (the project's at each start).
	var archives []archive
	var webhook *auditWebhook
	if needsNodes(clusters) {
		if webhook, err = startAuditWebhook(env.stopCh); err != nil {
			return err
		}
		started := time.Now()
		if archives, err = imageArchives(o); err != nil {
			return err
		}
		logf("images: %d archives (%s)", len(archives), time.Since(started).Round(time.Millisecond))
	}
	policy := filepath.Join(o.state, "audit-policy.yaml")
	auditDir := filepath.Join(o.state, "audit")
	if err := writeFiles(auditDir, nil); err != nil {
		return err
	}
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return err
	}
	etcdURL, err := startEtcd(o, procs, env.net)
	if err != nil {
		return err
	}
	dns, err := startDNS(o, procs, env.net, etcdURL)
	if err != nil {
		return err
	}
	for _, c := range clusters {
		c.dir = filepath.Join(o.state, "clusters", c.name)
		c.auditLog = filepath.Join(auditDir, c.name+".log")
		if err := startAPIServer(o, procs, c, env.net, etcdURL, policy); err != nil {
			return err
		}
	}
	env.info = readyInfo{Kubeconfig: o.kubeconfig, Etcd: etcdURL, DNS: dns, AuditDir: auditDir}
	// The API servers start in parallel; each cluster gets its controllers, storage class and
	// node as soon as its own server is ready, so that the benchmark's many servers do not
	// wait on one another (they share 2 cores, and the slowest sets the pace anyway).
	errs := make([]error, len(clusters))
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = finishCluster(ctx, o, procs, env, c, len(clusters), archives, webhook)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// From here on, each server's published address is its latency proxy's, when there is one.
	if err := delayServers(o.latency, clusters, procs); err != nil {
		return err
	}
	if err := writeKubeconfig(o.kubeconfig, clusters); err != nil {
		return err
	}
	for _, c := range clusters {
		env.info.Clusters = append(env.info.Clusters, c.infos()...)
	}
	return nil
}

// needsNodes: a server standing for several clusters (SERVER=CTX1+CTX2+...: the benchmark's
// members, which run no Pod) has no node; every other cluster has one.
func needsNodes(clusters []*cluster) bool {
	for _, c := range clusters {
		if !c.shared {
			return true
		}
	}
	return false
}

// finishCluster waits for a started API server and adds the rest of its cluster.
func finishCluster(ctx context.Context, o options, procs *processes, env *environment, c *cluster, servers int, archives []archive, webhook *auditWebhook) error {
	// Many servers starting at once on 2 cores each take longer to become ready.
	if err := waitReady(c.config, c.name, 2*time.Minute+time.Duration(servers)*10*time.Second); err != nil {
		return err
	}
	if err := startControllerManager(o, procs, c); err != nil {
		return err
	}
	if err := startScheduler(o, procs, c); err != nil {
		return err
	}
	if err := addStorageClass(c); err != nil {
		return err
	}
	if c.shared {
		return startLoadBalancer(c, env, "")
	}
	if err := webhook.register(ctx, c); err != nil {
		return err
	}
	n, err := startNode(ctx, o, procs, &env.nodes, env.net, c, archives)
	if err != nil {
		return err
	}
	go n.followAuditLogs(env.info.AuditDir, env.stopCh)
	if err := startLoadBalancer(c, env, n.ip); err != nil {
		return err
	}
	return startClusterDNS(ctx, c)
}

// startEtcd runs the one etcd of every cluster, reachable from the nodes (external-dns's
// coredns provider writes its records there from a Pod).
func startEtcd(o options, procs *processes, hn *hostNetwork) (string, error) {
	clientPort, err := freePort(hn.listenIPs()...)
	if err != nil {
		return "", err
	}
	peerPort, err := freePort("127.0.0.1")
	if err != nil {
		return "", err
	}
	url := fmt.Sprintf("http://%s:%d", hn.hostIP(), clientPort)
	local := fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	peer := fmt.Sprintf("http://127.0.0.1:%d", peerPort)
	_, err = procs.start("etcd", filepath.Join(o.state, "etcd.log"), filepath.Join(o.bin, "etcd"),
		"--name=testenv", "--data-dir="+filepath.Join(o.state, "etcd"),
		"--listen-client-urls="+local+","+url, "--advertise-client-urls="+url,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=testenv="+peer,
		// Test data: durability is not worth the fsync latency.
		"--unsafe-no-fsync", "--log-level=warn")
	if err != nil {
		return "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := httpClient.Get(url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", fmt.Errorf("etcd not healthy after 30s")
}

// startAPIServer runs the cluster's API server on every address of this machine, as kubeadm's
// listens (--bind-address 0.0.0.0), advertised at the host bridge's address, which the
// kubeconfig names: this machine and the nodes' Pods (through the kubernetes Service) reach it
// there alike.
func startAPIServer(o options, procs *processes, c *cluster, hn *hostNetwork, etcdURL, policy string) error {
	var err error
	if c.ca, err = newAuthority(c.name); err != nil {
		return err
	}
	serving, err := c.ca.issue("kube-apiserver", nil, true, hn.hostIP(), kubernetesServiceIP)
	if err != nil {
		return err
	}
	// The API server's identity towards the kubelets (logs, exec, port-forward).
	kubeletClient, err := c.ca.issue("kube-apiserver-kubelet-client", []string{"system:masters"}, false)
	if err != nil {
		return err
	}
	if c.admin, err = c.ca.issue("kubernetes-admin", []string{"system:masters"}, false); err != nil {
		return err
	}
	if err := c.issueMembers(); err != nil {
		return err
	}
	saKey, err := newSigningKey()
	if err != nil {
		return err
	}
	pki := filepath.Join(c.dir, "pki")
	if err := writeFiles(pki, map[string][]byte{
		"ca.crt": c.ca.pem, "apiserver.crt": serving.certPEM, "apiserver.key": serving.keyPEM,
		"sa.key": saKey.private, "sa.pub": saKey.public,
		"apiserver-kubelet-client.crt": kubeletClient.certPEM, "apiserver-kubelet-client.key": kubeletClient.keyPEM,
	}); err != nil {
		return err
	}
	port, err := freePort("0.0.0.0")
	if err != nil {
		return err
	}
	c.server = fmt.Sprintf("https://%s:%d", hn.hostIP(), port)
	c.config = &rest.Config{Host: c.server, TLSClientConfig: rest.TLSClientConfig{
		CAData: c.ca.pem, CertData: c.admin.certPEM, KeyData: c.admin.keyPEM,
	}, QPS: 50, Burst: 100}
	_, err = procs.start(c.name+" kube-apiserver", filepath.Join(c.dir, "kube-apiserver.log"),
		filepath.Join(o.bin, "kube-apiserver"),
		"--etcd-servers="+etcdURL, "--etcd-prefix=/clusters/"+c.name,
		"--bind-address=0.0.0.0", fmt.Sprintf("--secure-port=%d", port), "--advertise-address="+hn.hostIP(),
		"--cert-dir="+filepath.Join(c.dir, "generated"),
		"--tls-cert-file="+filepath.Join(pki, "apiserver.crt"), "--tls-private-key-file="+filepath.Join(pki, "apiserver.key"),
		"--client-ca-file="+filepath.Join(pki, "ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc", "--service-account-key-file="+filepath.Join(pki, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(pki, "sa.key"),
		"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--kubelet-client-certificate="+filepath.Join(pki, "apiserver-kubelet-client.crt"),
		"--kubelet-client-key="+filepath.Join(pki, "apiserver-kubelet-client.key"),
		"--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--audit-policy-file="+policy, "--audit-log-path="+c.auditLog, "--audit-log-format=json",
		"--enable-priority-and-fairness=false", "--profiling=false")
	return err
}

// startControllerManager runs kube-controller-manager with its usual controllers (deployment,
// replicaset, endpointslice, garbage collector, namespace, service accounts and tokens, volume
// binding, node lifecycle, ...) and the in-tree hostPath provisioner, which gives the etcd
// claims of the federations the tests make a volume, as a cloud's default storage class would.
func startControllerManager(o options, procs *processes, c *cluster) error {
	kubeconfig, err := componentKubeconfig(c, "system:kube-controller-manager")
	if err != nil {
		return err
	}
	pki := filepath.Join(c.dir, "pki")
	_, err = procs.start(c.name+" kube-controller-manager", filepath.Join(c.dir, "kube-controller-manager.log"),
		filepath.Join(o.bin, "kube-controller-manager"),
		"--kubeconfig="+kubeconfig, "--leader-elect=false", "--secure-port=0", "--controllers=*",
		"--enable-hostpath-provisioner=true",
		"--service-account-private-key-file="+filepath.Join(pki, "sa.key"),
		"--root-ca-file="+filepath.Join(pki, "ca.crt"), "--use-service-account-credentials=false")
	return err
}

// kubernetesServiceIP is the kubernetes Service's ClusterIP (the first of 10.96.0.0/16), which
// Pods reach the API server through.
const kubernetesServiceIP = "10.96.0.1"

// startScheduler runs kube-scheduler, which binds pods to the cluster's one Node.
func startScheduler(o options, procs *processes, c *cluster) error {
	kubeconfig, err := componentKubeconfig(c, "system:kube-scheduler")
	if err != nil {
		return err
	}
	_, err = procs.start(c.name+" kube-scheduler", filepath.Join(c.dir, "kube-scheduler.log"),
		filepath.Join(o.bin, "kube-scheduler"), "--kubeconfig="+kubeconfig, "--leader-elect=false", "--secure-port=0")
	return err
}

// componentKubeconfig writes a kubeconfig for a control-plane component, with its own
// certificate (so the audit log tells its requests apart).
func componentKubeconfig(c *cluster, user string) (string, error) {
	kp, err := c.ca.issue(user, []string{"system:masters"}, false)
	if err != nil {
		return "", err
	}
	path := filepath.Join(c.dir, strings.TrimPrefix(user, "system:")+".kubeconfig")
	own := []member{{name: c.name, user: c.name + "-admin", context: c.context, admin: kp}}
	return path, clientcmd.WriteToFile(*kubeconfigFor([]*cluster{{name: c.name, server: c.server, ca: c.ca, members: own}}), path)
}

// addStorageClass makes the hostPath provisioner the cluster's default, as a cloud cluster has
// a default class.
func addStorageClass(c *cluster) error {
	client, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return err
	}
	_, err = client.StorageV1().StorageClasses().Create(context.Background(), &storagev1.StorageClass{
		ObjectMeta:  metav1.ObjectMeta{Name: "standard", Annotations: map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}},
		Provisioner: "kubernetes.io/host-path",
	}, metav1.CreateOptions{})
	return err
}

func waitReady(cfg *rest.Config, name string, timeout time.Duration) error {
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		cancel()
		if err == nil && string(body) == "ok" {
			logf("%s ready at %s", name, cfg.Host)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("%s: /readyz not ok after %s", name, timeout)
}
