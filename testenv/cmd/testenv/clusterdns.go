package main

import (
	"bytes"
	"context"
	"fmt"
	"text/template"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	kubeadmdns "k8s.io/kubernetes/cmd/kubeadm/app/phases/addons/dns"
)

// clusterDNSImage is the CoreDNS image of the cluster's DNS: the table's (kubeadm v1.34 would
// deploy v1.12.1; testenv builds v1.12.4, the version the project's DNS provider runs).
const clusterDNSImage = "registry.k8s.io/coredns/coredns:v1.12.4"

// startClusterDNS deploys the cluster's DNS as kubeadm does (its own manifests, from the
// Kubernetes module: kube-system's coredns ServiceAccount, ClusterRole and binding, ConfigMap,
// Deployment of two replicas, and the kube-dns Service at 10.96.0.10), and waits until it is
// available.
func startClusterDNS(ctx context.Context, c *cluster) error {
	client, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return err
	}
	data := map[string]any{
		"DeploymentName": "coredns", "Image": clusterDNSImage, "ControlPlaneTaintKey": "node-role.kubernetes.io/control-plane",
		"Replicas": 2, "DNSIP": clusterDNS, "DNSDomain": "cluster.local",
	}
	for _, manifest := range []string{
		kubeadmdns.CoreDNSServiceAccount, kubeadmdns.CoreDNSClusterRole, kubeadmdns.CoreDNSClusterRoleBinding,
		kubeadmdns.CoreDNSConfigMap, kubeadmdns.CoreDNSService, kubeadmdns.CoreDNSDeployment,
	} {
		obj, err := renderManifest(manifest, data)
		if err != nil {
			return err
		}
		if err := createObject(ctx, client, obj); err != nil {
			return fmt.Errorf("%s: cluster DNS: %w", c.name, err)
		}
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		d, err := client.AppsV1().Deployments("kube-system").Get(ctx, "coredns", metav1.GetOptions{})
		if err == nil && d.Status.AvailableReplicas > 0 {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("%s: the cluster DNS (kube-system/coredns) has no available replica after 2m", c.name)
}

func renderManifest(text string, data any) (runtime.Object, error) {
	tmpl, err := template.New("manifest").Parse(text)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return nil, err
	}
	obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(out.Bytes(), nil, nil)
	return obj, err
}

func createObject(ctx context.Context, client kubernetes.Interface, obj runtime.Object) error {
	opts := metav1.CreateOptions{}
	var err error
	switch o := obj.(type) {
	case *corev1.ServiceAccount:
		_, err = client.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, opts)
	case *rbacv1.ClusterRole:
		_, err = client.RbacV1().ClusterRoles().Create(ctx, o, opts)
	case *rbacv1.ClusterRoleBinding:
		_, err = client.RbacV1().ClusterRoleBindings().Create(ctx, o, opts)
	case *corev1.ConfigMap:
		_, err = client.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, opts)
	case *corev1.Service:
		o.ResourceVersion = "" // kubeadm's manifest sets "0" for its updates
		_, err = client.CoreV1().Services(o.Namespace).Create(ctx, o, opts)
	case *appsv1.Deployment:
		_, err = client.AppsV1().Deployments(o.Namespace).Create(ctx, o, opts)
	default:
		err = fmt.Errorf("unexpected object %T", obj)
	}
	return err
}
