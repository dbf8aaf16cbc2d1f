package main

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// loadBalancer plays the cloud's load balancer, the one part of a cluster testenv still plays:
// each LoadBalancer Service gets an address of its own (network.go), routed from this machine to
// the cluster's node, where kube-proxy serves it as it serves any load-balancer ingress address;
// the Service's status names it, as a cloud's controller writes it. A server without a node (the
// benchmark's members) gets addresses too, routed nowhere: no Pod runs there to serve them.
type loadBalancer struct {
	cluster *cluster
	net     *hostNetwork
	nodeIP  string // "" for a server without a node
	client  kubernetes.Interface

	mu sync.Mutex
	// Service UID → address. A Service deleted and made again (as KubeFed re-creates a member's)
	// is a new load balancer with a new address, as in a cloud; a deleted one's address goes back.
	ips map[types.UID]string
}

func startLoadBalancer(c *cluster, env *environment, nodeIP string) error {
	// Its own identity, so that the audit log tells its writes from the action's.
	id, err := c.ca.issue("testenv:load-balancer", []string{"system:masters"}, false)
	if err != nil {
		return err
	}
	cfg := rest.CopyConfig(c.config)
	cfg.CertData, cfg.KeyData = id.certPEM, id.keyPEM
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	lb := &loadBalancer{cluster: c, net: env.net, nodeIP: nodeIP, client: client, ips: map[types.UID]string{}}
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().Services().Informer()
	sync := func(obj any) {
		if svc, ok := obj.(*corev1.Service); ok {
			lb.sync(svc)
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: sync, UpdateFunc: func(_, obj any) { sync(obj) }, DeleteFunc: lb.release,
	}); err != nil {
		return err
	}
	factory.Start(env.stopCh)
	factory.WaitForCacheSync(env.stopCh)
	return openVolumes(client, &env.volumes, env.stopCh)
}

func (lb *loadBalancer) sync(svc *corev1.Service) {
	if svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		return
	}
	key := svc.Namespace + "/" + svc.Name
	lb.mu.Lock()
	ip, ok := lb.ips[svc.UID]
	if !ok {
		var err error
		if ip, err = lb.net.loadBalancerIP(lb.nodeIP); err != nil {
			lb.mu.Unlock()
			logf("%s: load balancer for %s: %v", lb.cluster.name, key, err)
			return
		}
		lb.ips[svc.UID] = ip
	}
	lb.mu.Unlock()
	if lb.nodeIP != "" && lb.net.delay > 0 {
		if err := lb.net.delayLoadBalancer(ip, tcpPorts(svc)); err != nil {
			logf("%s: load balancer for %s: latency: %v", lb.cluster.name, key, err)
		}
	}
	if len(svc.Status.LoadBalancer.Ingress) == 1 && svc.Status.LoadBalancer.Ingress[0].IP == ip {
		return
	}
	svc = svc.DeepCopy()
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ip}}
	_, err := lb.client.CoreV1().Services(svc.Namespace).UpdateStatus(context.Background(), svc, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		logf("%s: load balancer for %s: %v", lb.cluster.name, key, err)
	}
}

// release gives back a deleted Service's address (a Service that stops being a LoadBalancer
// keeps its address until it is deleted).
func (lb *loadBalancer) release(obj any) {
	if gone, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = gone.Obj
	}
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return
	}
	lb.mu.Lock()
	ip, ok := lb.ips[svc.UID]
	delete(lb.ips, svc.UID)
	lb.mu.Unlock()
	if ok {
		lb.net.releaseLoadBalancerIP(ip)
	}
}

// tcpPorts are the Service's TCP ports (what `--latency` delays at its address).
func tcpPorts(svc *corev1.Service) []int32 {
	var ports []int32
	for _, p := range svc.Spec.Ports {
		if p.Protocol == corev1.ProtocolTCP || p.Protocol == "" {
			ports = append(ports, p.Port)
		}
	}
	return ports
}
