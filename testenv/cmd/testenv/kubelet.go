package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"
)

// kubelet plays the kubelet of a test cluster's one Node: every container of every Pod bound to
// the Node runs as a real process of the program built from its image's source (images.go),
// from the container's own command, args, env and volumes, and the Pod's status says so, as a
// kubelet reports it. The real scheduler binds the Pods and the real deployment controller
// decides from their status whether a Deployment is available.
type kubelet struct {
	cluster  *cluster
	client   kubernetes.Interface
	env      *nodeEnv
	pods     cache.Indexer
	services cache.Indexer
	lb       *loadBalancer
	kick     chan struct{}

	mu      sync.Mutex
	running map[types.UID]*podRuntime
}

// nodeEnv is what every kubelet of one testenv shares: where programs and state live, and the
// pool of pod addresses.
type nodeEnv struct {
	bin, state, policy, auditDir string
	net                          *addresses
	stopCh                       chan struct{}
}

func startKubelet(ctx context.Context, env *nodeEnv, c *cluster) (*kubelet, error) {
	// Its own identity, so that the audit log tells its writes from the action's.
	id, err := c.ca.issue("system:node:"+nodeName, []string{"system:masters"}, false)
	if err != nil {
		return nil, err
	}
	cfg := rest.CopyConfig(c.config)
	cfg.CertData, cfg.KeyData = id.certPEM, id.keyPEM
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if err := registerNode(ctx, client); err != nil {
		return nil, err
	}
	go renewLease(ctx, client)
	onNode := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("spec.nodeName", nodeName).String()
	}))
	all := informers.NewSharedInformerFactory(client, 0)
	k := &kubelet{
		cluster: c, client: client, env: env, kick: make(chan struct{}, 1), running: map[types.UID]*podRuntime{},
		pods:     onNode.Core().V1().Pods().Informer().GetIndexer(),
		services: all.Core().V1().Services().Informer().GetIndexer(),
	}
	k.lb = &loadBalancer{kubelet: k, frontends: map[string]*frontend{}}
	poke := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { k.poke() }, UpdateFunc: func(any, any) { k.poke() }, DeleteFunc: func(any) { k.poke() },
	}
	for _, informer := range []cache.SharedIndexInformer{onNode.Core().V1().Pods().Informer(), all.Core().V1().Services().Informer()} {
		if _, err := informer.AddEventHandler(poke); err != nil {
			return nil, err
		}
	}
	onNode.Start(env.stopCh)
	all.Start(env.stopCh)
	onNode.WaitForCacheSync(env.stopCh)
	all.WaitForCacheSync(env.stopCh)
	go k.loop()
	return k, nil
}

func (k *kubelet) poke() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// loop syncs on every change, and every second besides (processes exit and probes change
// without any object changing).
func (k *kubelet) loop() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-k.env.stopCh:
			k.stopAll()
			k.lb.stop()
			return
		case <-k.kick:
		case <-tick.C:
		}
		k.lb.sync()
		k.syncPods()
	}
}

func (k *kubelet) syncPods() {
	listeners := k.reachable()
	seen := map[types.UID]bool{}
	for _, obj := range k.pods.List() {
		pod := obj.(*corev1.Pod)
		seen[pod.UID] = true
		if pod.DeletionTimestamp != nil {
			k.terminate(pod)
			continue
		}
		k.mu.Lock()
		rt := k.running[pod.UID]
		k.mu.Unlock()
		if rt == nil {
			var err error
			if rt, err = k.admit(pod); err != nil {
				k.reportWaiting(pod, "ContainerCreating", err.Error())
				continue
			}
			k.mu.Lock()
			k.running[pod.UID] = rt
			k.mu.Unlock()
		}
		rt.sandbox.mirror(listeners, rt.ports())
		rt.reconcile()
		k.reportStatus(rt)
	}
	k.mu.Lock()
	var gone []*podRuntime
	for uid, rt := range k.running {
		if !seen[uid] {
			gone = append(gone, rt)
			delete(k.running, uid)
		}
	}
	k.mu.Unlock()
	for _, rt := range gone {
		rt.stop()
	}
}

// terminate stops a deleted pod's containers (SIGTERM, then SIGKILL after its grace period),
// then removes the Pod object, as the kubelet confirms a graceful deletion.
func (k *kubelet) terminate(pod *corev1.Pod) {
	k.mu.Lock()
	rt := k.running[pod.UID]
	delete(k.running, pod.UID)
	k.mu.Unlock()
	if rt != nil {
		rt.stop()
	}
	err := k.client.CoreV1().Pods(pod.Namespace).Delete(context.Background(), pod.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0), Preconditions: &metav1.Preconditions{UID: &pod.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		logf("%s: delete pod %s/%s: %v", k.cluster.name, pod.Namespace, pod.Name, err)
	}
}

func (k *kubelet) stopAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for uid, rt := range k.running {
		rt.stop()
		delete(k.running, uid)
	}
}

// reportWaiting says why a pod that cannot start yet (a missing Secret, an image testenv has
// no program for) is waiting, once per reason.
func (k *kubelet) reportWaiting(pod *corev1.Pod, reason, message string) {
	var statuses []corev1.ContainerStatus
	for _, c := range pod.Spec.Containers {
		statuses = append(statuses, corev1.ContainerStatus{
			Name: c.Name, Image: c.Image, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}},
		})
	}
	status := corev1.PodStatus{
		Phase: corev1.PodPending, HostIP: "127.0.0.1", ContainerStatuses: statuses,
		Conditions: podConditions(pod, false, false),
	}
	if len(pod.Status.ContainerStatuses) > 0 && pod.Status.ContainerStatuses[0].State.Waiting != nil &&
		pod.Status.ContainerStatuses[0].State.Waiting.Message == message {
		return
	}
	k.patchStatus(pod, status)
}

func (k *kubelet) reportStatus(rt *podRuntime) {
	status := rt.status()
	raw, _ := json.Marshal(status)
	if string(raw) == rt.reported {
		return
	}
	if k.patchStatus(rt.pod, status) {
		rt.reported = string(raw)
	}
}

func (k *kubelet) patchStatus(pod *corev1.Pod, status corev1.PodStatus) bool {
	body, _ := json.Marshal(map[string]any{"status": status})
	_, err := k.client.CoreV1().Pods(pod.Namespace).Patch(context.Background(), pod.Name, types.MergePatchType, body, metav1.PatchOptions{}, "status")
	if err != nil && !apierrors.IsNotFound(err) {
		logf("%s: status of pod %s/%s: %v", k.cluster.name, pod.Namespace, pod.Name, err)
		return false
	}
	return true
}

// podConditions are the conditions a kubelet reports (the scheduler's PodScheduled kept).
func podConditions(pod *corev1.Pod, initialized, ready bool) []corev1.PodCondition {
	now := metav1.Now()
	state := func(b bool) corev1.ConditionStatus {
		if b {
			return corev1.ConditionTrue
		}
		return corev1.ConditionFalse
	}
	since := func(t corev1.PodConditionType, s corev1.ConditionStatus) metav1.Time {
		for _, c := range pod.Status.Conditions {
			if c.Type == t && c.Status == s {
				return c.LastTransitionTime
			}
		}
		return now
	}
	out := []corev1.PodCondition{}
	for _, c := range []struct {
		t corev1.PodConditionType
		s corev1.ConditionStatus
	}{
		{corev1.PodScheduled, corev1.ConditionTrue}, {corev1.PodInitialized, state(initialized)},
		{corev1.ContainersReady, state(ready)}, {corev1.PodReady, state(ready)},
	} {
		out = append(out, corev1.PodCondition{Type: c.t, Status: c.s, LastTransitionTime: since(c.t, c.s)})
	}
	return out
}

// reachable is what pods of this cluster reach on the node: the API servers, testenv's etcd and
// DNS server, and the cluster's Services at their addresses.
func (k *kubelet) reachable() map[endpoint]bool {
	out := nodeListeners()
	for _, ep := range k.lb.addresses() {
		out[ep] = true
	}
	return out
}

// podDir is where a pod's volumes, hosts file and container logs live.
func (k *kubelet) podDir(pod *corev1.Pod) string {
	return filepath.Join(k.env.state, "pods", k.cluster.name, fmt.Sprintf("%s_%s", pod.Namespace, pod.Name))
}
