package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// loadBalancer plays the cloud's load balancer and the node's service proxy: each Service with
// a selector gets an address of the load-balancer range (addresses.go) that forwards each of its ports (TCP, or UDP: udp.go) to a
// ready pod it selects; a LoadBalancer Service's status names that address, a (TCP) NodePort is
// also served on the node, and pods find the address under the Service's in-cluster names (their
// hosts file).
type loadBalancer struct {
	*kubelet
	mu        sync.Mutex
	frontends map[string]*frontend // by namespace/name
}

type frontend struct {
	ip        string
	listeners []io.Closer // a net.Listener per TCP port, a net.PacketConn per UDP port
	ports     string
}

func (lb *loadBalancer) sync() {
	seen := map[string]bool{}
	changed := false
	for _, obj := range lb.services.List() {
		svc := obj.(*corev1.Service)
		if len(svc.Spec.Selector) == 0 || len(svc.Spec.Ports) == 0 {
			continue
		}
		key := svc.Namespace + "/" + svc.Name
		seen[key] = true
		if lb.ensure(svc) {
			changed = true
		}
		if svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
			lb.publish(svc)
		}
	}
	lb.mu.Lock()
	for key, f := range lb.frontends {
		if !seen[key] {
			f.close()
			delete(lb.frontends, key)
			changed = true
		}
	}
	lb.mu.Unlock()
	if changed {
		entries := lb.hostEntries()
		lb.kubelet.mu.Lock()
		for _, rt := range lb.kubelet.running {
			if err := rt.writeHosts(entries); err != nil {
				logf("%s: hosts of %s: %v", lb.cluster.name, rt.pod.Name, err)
			}
		}
		lb.kubelet.mu.Unlock()
	}
}

func portsKey(svc *corev1.Service) string {
	var parts []string
	for _, p := range svc.Spec.Ports {
		parts = append(parts, fmt.Sprintf("%d/%s/%d/%s", p.Port, p.Protocol, p.NodePort, p.TargetPort.String()))
	}
	return strings.Join(parts, ",")
}

// ensure serves the Service's ports on its address; true when the address is new.
func (lb *loadBalancer) ensure(svc *corev1.Service) bool {
	key := svc.Namespace + "/" + svc.Name
	lb.mu.Lock()
	defer lb.mu.Unlock()
	f := lb.frontends[key]
	if f != nil && f.ports == portsKey(svc) {
		return false
	}
	ip := ""
	if f != nil {
		f.close()
		ip = f.ip
	} else if ip = lb.env.net.serviceIP(svc.Spec.Ports); ip == "" {
		logf("%s: no free load-balancer address for Service %s", lb.cluster.name, key)
		return false
	}
	f = &frontend{ip: ip, ports: portsKey(svc)}
	for _, p := range svc.Spec.Ports {
		if p.Protocol == corev1.ProtocolUDP {
			// On the Service's address only: no test reaches a UDP NodePort.
			pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, fmt.Sprint(p.Port)))
			if err != nil {
				logf("%s: Service %s: %v", lb.cluster.name, key, err)
				continue
			}
			f.listeners = append(f.listeners, pc)
			go relayUDP(pc, lb.udpDialer(svc.Namespace, svc.Name, p))
			continue
		}
		binds := []string{net.JoinHostPort(ip, fmt.Sprint(p.Port))}
		if p.NodePort != 0 {
			// On every address of the node, as kube-proxy serves a NodePort.
			binds = append(binds, net.JoinHostPort("", fmt.Sprint(p.NodePort)))
		}
		for _, addr := range binds {
			l, err := net.Listen("tcp", addr)
			if err != nil {
				logf("%s: Service %s: %v", lb.cluster.name, key, err)
				continue
			}
			f.listeners = append(f.listeners, l)
			go lb.serve(l, svc.Namespace, svc.Name, p)
		}
	}
	lb.frontends[key] = f
	return true
}

// addresses are the Services' addresses with their ports (not their NodePorts).
func (lb *loadBalancer) addresses() []endpoint {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var out []endpoint
	for _, f := range lb.frontends {
		for _, l := range f.listeners {
			var ep endpoint
			switch l := l.(type) {
			case net.Listener:
				ep = endpoint{"tcp", l.Addr().String()}
			case net.PacketConn:
				ep = endpoint{"udp", l.LocalAddr().String()}
			}
			if !strings.HasPrefix(ep.address, "[::]:") && !strings.HasPrefix(ep.address, "0.0.0.0:") {
				out = append(out, ep)
			}
		}
	}
	return out
}

func (f *frontend) close() {
	for _, l := range f.listeners {
		l.Close()
	}
}

func (lb *loadBalancer) stop() {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	for _, f := range lb.frontends {
		f.close()
	}
}

// publish writes the address into a LoadBalancer Service's status, as a cloud would.
func (lb *loadBalancer) publish(svc *corev1.Service) {
	lb.mu.Lock()
	f := lb.frontends[svc.Namespace+"/"+svc.Name]
	lb.mu.Unlock()
	if f == nil || (len(svc.Status.LoadBalancer.Ingress) == 1 && svc.Status.LoadBalancer.Ingress[0].IP == f.ip) {
		return
	}
	svc = svc.DeepCopy()
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: f.ip}}
	if _, err := lb.client.CoreV1().Services(svc.Namespace).UpdateStatus(context.Background(), svc, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		logf("%s: load balancer for %s/%s: %v", lb.cluster.name, svc.Namespace, svc.Name, err)
	}
}

// hostEntries are the hosts-file lines of every Service's in-cluster names.
func (lb *loadBalancer) hostEntries() []string {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var lines []string
	for key, f := range lb.frontends {
		ns, name, _ := strings.Cut(key, "/")
		lines = append(lines, fmt.Sprintf("%s %s.%s.svc.cluster.local %s.%s.svc %s.%s", f.ip, name, ns, name, ns, name, ns))
	}
	sort.Strings(lines)
	return lines
}

func (lb *loadBalancer) serve(l net.Listener, namespace, name string, port corev1.ServicePort) {
	for {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		go lb.forward(conn, namespace, name, port)
	}
}

// forward connects a client to a ready pod of the Service.
func (lb *loadBalancer) forward(conn net.Conn, namespace, name string, port corev1.ServicePort) {
	defer conn.Close()
	upstream, _, err := lb.dialBackend(namespace, name, port, "tcp")
	if err != nil {
		return
	}
	pipe(conn, upstream)
}

// dialBackend connects to a ready pod of the Service, at the port its targetPort names, in the
// pod's network; alive tells whether that pod still is one.
func (lb *loadBalancer) dialBackend(namespace, name string, port corev1.ServicePort, network string) (conn net.Conn, alive func() bool, err error) {
	obj, ok, _ := lb.services.GetByKey(namespace + "/" + name)
	if !ok {
		return nil, nil, fmt.Errorf("service %s/%s is gone", namespace, name)
	}
	rt, address := lb.backend(obj.(*corev1.Service), port)
	if rt == nil {
		return nil, nil, fmt.Errorf("service %s/%s has no ready pod", namespace, name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err = rt.sandbox.dial(ctx, network, address)
	return conn, func() bool { return lb.serves(rt) }, err
}

// serves tells whether a pod is still a ready backend (it runs, and is ready, as this kubelet
// knows it).
func (lb *loadBalancer) serves(rt *podRuntime) bool {
	obj, ok, _ := lb.pods.GetByKey(rt.pod.Namespace + "/" + rt.pod.Name)
	if !ok {
		return false
	}
	pod := obj.(*corev1.Pod)
	lb.kubelet.mu.Lock()
	current := lb.kubelet.running[pod.UID]
	lb.kubelet.mu.Unlock()
	return current == rt && pod.DeletionTimestamp == nil && podReady(pod)
}

// backend picks a ready pod the Service selects, and the address of its target port there.
func (lb *loadBalancer) backend(svc *corev1.Service, port corev1.ServicePort) (*podRuntime, string) {
	selector := labels.SelectorFromSet(svc.Spec.Selector)
	for _, obj := range lb.pods.List() {
		pod := obj.(*corev1.Pod)
		if pod.Namespace != svc.Namespace || pod.DeletionTimestamp != nil || !selector.Matches(labels.Set(pod.Labels)) || !podReady(pod) {
			continue
		}
		lb.kubelet.mu.Lock()
		rt := lb.kubelet.running[pod.UID]
		lb.kubelet.mu.Unlock()
		if target := targetPort(pod, port.TargetPort, port.Port); rt != nil && target != 0 {
			return rt, net.JoinHostPort(rt.ip, fmt.Sprint(target))
		}
	}
	return nil, ""
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// targetPort resolves a Service's targetPort (a number, or a container port's name).
func targetPort(pod *corev1.Pod, target intstr.IntOrString, servicePort int32) int32 {
	if target.Type == intstr.Int {
		if target.IntVal == 0 {
			return servicePort
		}
		return target.IntVal
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			if p.Name == target.StrVal {
				return p.ContainerPort
			}
		}
	}
	return 0
}
