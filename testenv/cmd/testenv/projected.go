package main

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// projectedFiles are the files of a projected volume, as the kubelet writes them. Every pod that
// does not opt out of automountServiceAccountToken gets one from the ServiceAccount admission
// plugin (kube-api-access-*: a token, the cluster's CA from kube-root-ca.crt, the namespace),
// so a pod without it could not start at all.
func (rt *podRuntime) projectedFiles(sources []corev1.VolumeProjection) (map[string][]byte, error) {
	ctx := context.Background()
	core := rt.kubelet.client.CoreV1()
	ns := rt.pod.Namespace
	files := map[string][]byte{}
	for _, s := range sources {
		data := map[string][]byte{}
		var items []corev1.KeyToPath
		switch {
		case s.ServiceAccountToken != nil:
			token, err := rt.serviceAccountToken(s.ServiceAccountToken)
			if err != nil {
				return nil, err
			}
			files[s.ServiceAccountToken.Path] = token
			continue
		case s.ConfigMap != nil:
			cm, err := core.ConfigMaps(ns).Get(ctx, s.ConfigMap.Name, metav1.GetOptions{})
			if err != nil && !(apierrors.IsNotFound(err) && s.ConfigMap.Optional != nil && *s.ConfigMap.Optional) {
				return nil, err
			}
			if err == nil {
				for k, v := range cm.Data {
					data[k] = []byte(v)
				}
			}
			items = s.ConfigMap.Items
		case s.Secret != nil:
			secret, err := core.Secrets(ns).Get(ctx, s.Secret.Name, metav1.GetOptions{})
			if err != nil && !(apierrors.IsNotFound(err) && s.Secret.Optional != nil && *s.Secret.Optional) {
				return nil, err
			}
			if err == nil {
				data = secret.Data
			}
			items = s.Secret.Items
		case s.DownwardAPI != nil:
			for _, item := range s.DownwardAPI.Items {
				if item.FieldRef == nil {
					return nil, fmt.Errorf("testenv's kubelet projects only fieldRef items of the downward API (%s)", item.Path)
				}
				value, err := rt.valueFrom(&corev1.EnvVarSource{FieldRef: item.FieldRef})
				if err != nil {
					return nil, err
				}
				files[item.Path] = []byte(value)
			}
			continue
		default:
			return nil, fmt.Errorf("testenv's kubelet projects service account tokens, ConfigMaps, Secrets and the downward API only")
		}
		for path, content := range selectKeys(data, items) {
			files[path] = content
		}
	}
	return files, nil
}

// serviceAccountToken asks for a token of the pod's service account, bound to the pod, as the
// kubelet does. (Not refreshed: the API server makes kube-api-access tokens last a year, and a
// test environment lives minutes.)
func (rt *podRuntime) serviceAccountToken(source *corev1.ServiceAccountTokenProjection) ([]byte, error) {
	name := rt.pod.Spec.ServiceAccountName
	if name == "" {
		name = "default"
	}
	spec := authenticationv1.TokenRequestSpec{
		ExpirationSeconds: source.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: rt.pod.Name, UID: rt.pod.UID},
	}
	if source.Audience != "" {
		spec.Audiences = []string{source.Audience}
	}
	tr, err := rt.kubelet.client.CoreV1().ServiceAccounts(rt.pod.Namespace).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token of service account %s: %w", name, err)
	}
	return []byte(tr.Status.Token), nil
}
