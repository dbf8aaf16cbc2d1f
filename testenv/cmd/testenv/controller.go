package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

var kubeFedClusters = schema.GroupVersionResource{Group: "core.kubefed.io", Version: "v1beta1", Resource: "kubefedclusters"}

// runClusterController plays the KubeFed controller manager's cluster health check: every two
// seconds it probes each KubeFedCluster's apiEndpoint with the token its Secret holds, and
// writes the Ready condition. It talks to the federation API with the admin certificate the
// action put in the credentials Secret (materialized under dir/volumes).
func (cs *clusterStandin) runClusterController(f *fedServer, dir string) {
	cfg, err := federationConfig(f.addr, filepath.Join(dir, "volumes"))
	if err != nil {
		logf("%s: cluster controller: %v", f.cluster, err)
		return
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return
	}
	core, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return
	}
	for {
		select {
		case <-f.stopCh:
			return
		case <-time.After(2 * time.Second):
		}
		if !f.serving.Load() {
			continue
		}
		list, err := dyn.Resource(kubeFedClusters).Namespace("").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			continue // the CRD may not be there yet
		}
		for i := range list.Items {
			probeMember(dyn, core, &list.Items[i])
		}
	}
}

// federationConfig finds the admin client certificate among the mounted credentials.
func federationConfig(addr, volumes string) (*rest.Config, error) {
	matches, _ := filepath.Glob(filepath.Join(volumes, "*", "admin.crt"))
	if len(matches) == 0 {
		return nil, os.ErrNotExist
	}
	certFile := matches[0]
	dir := filepath.Dir(certFile)
	return &rest.Config{Host: "https://" + addr, TLSClientConfig: rest.TLSClientConfig{
		CAFile: filepath.Join(dir, "ca.crt"), CertFile: certFile, KeyFile: filepath.Join(dir, "admin.key"),
	}}, nil
}

func probeMember(dyn dynamic.Interface, core kubernetes.Interface, kfc *unstructured.Unstructured) {
	ctx := context.Background()
	endpoint, _, _ := unstructured.NestedString(kfc.Object, "spec", "apiEndpoint")
	caBundle, _, _ := unstructured.NestedString(kfc.Object, "spec", "caBundle")
	secretName, _, _ := unstructured.NestedString(kfc.Object, "spec", "secretRef", "name")
	status, reason := "False", "ClusterNotReachable"
	if secret, err := core.CoreV1().Secrets(kfc.GetNamespace()).Get(ctx, secretName, metav1.GetOptions{}); err == nil {
		if probeReadyz(endpoint, caBundle, string(secret.Data["token"])) {
			status, reason = "True", "ClusterReady"
		}
	} else {
		reason = "SecretNotFound"
	}
	conditions, _, _ := unstructured.NestedSlice(kfc.Object, "status", "conditions")
	if len(conditions) == 1 {
		if c, ok := conditions[0].(map[string]any); ok && c["status"] == status && c["reason"] == reason {
			return
		}
	}
	now := time.Now().UTC().Format(time.RFC3339)
	_ = unstructured.SetNestedSlice(kfc.Object, []any{map[string]any{
		"type": "Ready", "status": status, "reason": reason, "lastProbeTime": now, "lastTransitionTime": now,
	}}, "status", "conditions")
	if _, err := dyn.Resource(kubeFedClusters).Namespace(kfc.GetNamespace()).UpdateStatus(ctx, kfc, metav1.UpdateOptions{}); err != nil {
		logf("cluster controller: status of %s: %v", kfc.GetName(), err)
	}
}

func probeReadyz(endpoint, caBundle, token string) bool {
	pool := x509.NewCertPool()
	if ca, err := base64.StdEncoding.DecodeString(caBundle); err == nil {
		pool.AppendCertsFromPEM(ca)
	}
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, err := http.NewRequest("GET", endpoint+"/readyz", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}
