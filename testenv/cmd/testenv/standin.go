package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// httpClient is for health probes of servers whose certificates the stand-in did not issue.
var httpClient = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
}

// standins plays, for every test cluster, the parts a real cluster has and a bare API server
// lacks: the cloud gives LoadBalancer Services an address, the kubelet "runs" Deployments (marks
// them available) and, for the federation API server the action deploys, really runs it as a
// local kube-apiserver from the Deployment's own arguments and the Secret it mounts.
type standins struct {
	bin, state, etcdURL, policy, auditDir string

	mu      sync.Mutex
	nextLB  int
	servers map[string]*fedServer // by cluster/namespace/name of the Deployment
	stopCh  chan struct{}
}

func newStandins(bin, state, etcdURL, policy, auditDir string) *standins {
	return &standins{
		bin: bin, state: state, etcdURL: etcdURL, policy: policy, auditDir: auditDir,
		servers: map[string]*fedServer{}, stopCh: make(chan struct{}),
	}
}

func (s *standins) stop() {
	close(s.stopCh)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.servers {
		f.stop()
	}
}

// clusterStandin is the stand-in for one cluster.
type clusterStandin struct {
	*standins
	cluster     *cluster
	client      kubernetes.Interface
	deployments cache.Indexer
	services    cache.Indexer
	kick        chan struct{}
}

func (s *standins) run(c *cluster) error {
	// Its own identity, so that the audit log tells its writes from the action's.
	id, err := c.ca.issue("testenv-standin", []string{"system:masters"}, false)
	if err != nil {
		return err
	}
	cfg := rest.CopyConfig(c.config)
	cfg.CertData, cfg.KeyData = id.certPEM, id.keyPEM
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if err := registerNode(client); err != nil {
		return err
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	cs := &clusterStandin{
		standins: s, cluster: c, client: client, kick: make(chan struct{}, 1),
		deployments: factory.Apps().V1().Deployments().Informer().GetIndexer(),
		services:    factory.Core().V1().Services().Informer().GetIndexer(),
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { cs.poke() },
		UpdateFunc: func(any, any) { cs.poke() },
		DeleteFunc: func(any) { cs.poke() },
	}
	if _, err := factory.Apps().V1().Deployments().Informer().AddEventHandler(handler); err != nil {
		return err
	}
	if _, err := factory.Core().V1().Services().Informer().AddEventHandler(handler); err != nil {
		return err
	}
	factory.Start(s.stopCh)
	factory.WaitForCacheSync(s.stopCh)
	go cs.loop()
	return nil
}

// registerNode adds the one Node a NodePort Service is reached through: 127.0.0.1.
func registerNode(client kubernetes.Interface) error {
	ctx := context.Background()
	node, err := client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "testenv-node"}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}}
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	_, err = client.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{})
	return err
}

func (cs *clusterStandin) poke() {
	select {
	case cs.kick <- struct{}{}:
	default:
	}
}

// loop reconciles on every change, and every second besides (a federation API server that
// comes up or dies changes no object).
func (cs *clusterStandin) loop() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-cs.stopCh:
			return
		case <-cs.kick:
		case <-tick.C:
		}
		cs.reconcile()
	}
}

func (cs *clusterStandin) reconcile() {
	for _, obj := range cs.services.List() {
		cs.assignLoadBalancer(obj.(*corev1.Service))
	}
	seen := map[string]bool{}
	for _, obj := range cs.deployments.List() {
		d := obj.(*appsv1.Deployment)
		available := true
		if isFederationAPIServer(d) {
			key := cs.cluster.name + "/" + d.Namespace + "/" + d.Name
			seen[key] = true
			available = cs.runFederationAPIServer(key, d)
		}
		cs.setDeploymentStatus(d, available)
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for key, f := range cs.servers {
		if f.cluster == cs.cluster.name && !seen[key] {
			f.stop()
			delete(cs.servers, key)
		}
	}
}

// assignLoadBalancer gives each LoadBalancer Service its own loopback address, as a cloud
// would give it an external IP.
func (cs *clusterStandin) assignLoadBalancer(svc *corev1.Service) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || len(svc.Status.LoadBalancer.Ingress) > 0 {
		return
	}
	ip := cs.freeLoadBalancerIP(svc.Spec.Ports)
	if ip == "" {
		logf("%s: no free loopback address for %s/%s", cs.cluster.name, svc.Namespace, svc.Name)
		return
	}
	svc = svc.DeepCopy()
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	if _, err := cs.client.CoreV1().Services(svc.Namespace).UpdateStatus(context.Background(), svc, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		logf("%s: load balancer for %s/%s: %v", cs.cluster.name, svc.Namespace, svc.Name, err)
	}
}

// freeLoadBalancerIP picks the next loopback address whose service ports are free, so that
// two test environments on one machine (or a stale server) never collide.
func (cs *clusterStandin) freeLoadBalancerIP(ports []corev1.ServicePort) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for tries := 0; tries < 1000; tries++ {
		cs.nextLB++
		ip := fmt.Sprintf("127.1.%d.%d", cs.nextLB/250, cs.nextLB%250+1)
		free := true
		for _, p := range ports {
			l, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(p.Port)))
			if err != nil {
				free = false
				break
			}
			l.Close()
		}
		if free {
			return ip
		}
	}
	return ""
}

// setDeploymentStatus writes the status the deployment controller and kubelets would report.
func (cs *clusterStandin) setDeploymentStatus(d *appsv1.Deployment, available bool) {
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	ready := int32(0)
	condition := corev1.ConditionFalse
	if available {
		ready, condition = replicas, corev1.ConditionTrue
	}
	st := d.Status
	if st.ObservedGeneration == d.Generation && st.AvailableReplicas == ready && st.Replicas == replicas &&
		len(st.Conditions) == 1 && st.Conditions[0].Status == condition {
		return
	}
	d = d.DeepCopy()
	now := metav1.Now()
	d.Status = appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: replicas, UpdatedReplicas: replicas,
		ReadyReplicas: ready, AvailableReplicas: ready, UnavailableReplicas: replicas - ready,
		Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentAvailable, Status: condition, LastUpdateTime: now, LastTransitionTime: now,
			Reason: "TestenvStandin", Message: "set by the testenv kubelet stand-in",
		}},
	}
	if _, err := cs.client.AppsV1().Deployments(d.Namespace).UpdateStatus(context.Background(), d, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		logf("%s: status of %s/%s: %v", cs.cluster.name, d.Namespace, d.Name, err)
	}
}

// serviceFor finds the Service whose selector picks the Deployment's pods.
func (cs *clusterStandin) serviceFor(d *appsv1.Deployment) *corev1.Service {
	podLabels := labels.Set(d.Spec.Template.Labels)
	for _, obj := range cs.services.List() {
		svc := obj.(*corev1.Service)
		if svc.Namespace == d.Namespace && len(svc.Spec.Selector) > 0 &&
			labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			return svc
		}
	}
	return nil
}
