package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// writeVolumes puts each volume where the containers find it, as the kubelet would: Secret,
// ConfigMap, projected and downward API volumes as files, an emptyDir as a fresh directory, a
// claim as its volume's path.
func (rt *podRuntime) writeVolumes() error {
	ctx := context.Background()
	core := rt.kubelet.client.CoreV1()
	ns := rt.pod.Namespace
	for _, v := range rt.pod.Spec.Volumes {
		dir := filepath.Join(rt.dir, "volumes", v.Name)
		switch {
		case v.Secret != nil:
			secret, err := core.Secrets(ns).Get(ctx, v.Secret.SecretName, metav1.GetOptions{})
			if err != nil {
				if v.Secret.Optional != nil && *v.Secret.Optional {
					secret = &corev1.Secret{}
				} else {
					return fmt.Errorf("volume %s: %w", v.Name, err)
				}
			}
			if err := writeKeys(dir, secret.Data, v.Secret.Items); err != nil {
				return err
			}
		case v.ConfigMap != nil:
			cm, err := core.ConfigMaps(ns).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				if v.ConfigMap.Optional != nil && *v.ConfigMap.Optional {
					cm = &corev1.ConfigMap{}
				} else {
					return fmt.Errorf("volume %s: %w", v.Name, err)
				}
			}
			data := map[string][]byte{}
			for k, val := range cm.Data {
				data[k] = []byte(val)
			}
			if err := writeKeys(dir, data, v.ConfigMap.Items); err != nil {
				return err
			}
		case v.Projected != nil || v.DownwardAPI != nil:
			var sources []corev1.VolumeProjection
			if v.Projected != nil {
				sources = v.Projected.Sources
			} else {
				sources = []corev1.VolumeProjection{{DownwardAPI: &corev1.DownwardAPIProjection{Items: v.DownwardAPI.Items}}}
			}
			files, err := rt.projectedFiles(sources)
			if err != nil {
				return fmt.Errorf("volume %s: %w", v.Name, err)
			}
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			if err := writeFiles(dir, files); err != nil {
				return err
			}
		case v.EmptyDir != nil:
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
		case v.PersistentVolumeClaim != nil:
			path, err := rt.claimPath(v.PersistentVolumeClaim.ClaimName)
			if err != nil {
				return fmt.Errorf("volume %s: %w", v.Name, err)
			}
			dir = path
		default:
			return fmt.Errorf("volume %s: testenv's kubelet supports secret, configMap, projected, downwardAPI, emptyDir and persistentVolumeClaim volumes only", v.Name)
		}
		rt.mounts[v.Name] = dir
	}
	return nil
}

func writeKeys(dir string, data map[string][]byte, items []corev1.KeyToPath) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return writeFiles(dir, selectKeys(data, items))
}

// selectKeys are the files of a Secret's or ConfigMap's data: every key, or the items named.
func selectKeys(data map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	files := map[string][]byte{}
	if len(items) == 0 {
		for k, v := range data {
			files[k] = v
		}
	}
	for _, item := range items {
		files[item.Path] = data[item.Key]
	}
	return files
}

// claimPath is the directory of the volume a claim is bound to (a hostPath volume, as the
// cluster's hostpath provisioner makes them).
func (rt *podRuntime) claimPath(claimName string) (string, error) {
	ctx := context.Background()
	core := rt.kubelet.client.CoreV1()
	claim, err := core.PersistentVolumeClaims(rt.pod.Namespace).Get(ctx, claimName, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if claim.Spec.VolumeName == "" || claim.Status.Phase != corev1.ClaimBound {
		return "", fmt.Errorf("claim %s is not bound yet", claimName)
	}
	pv, err := core.PersistentVolumes().Get(ctx, claim.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	switch {
	case pv.Spec.HostPath != nil:
		return pv.Spec.HostPath.Path, os.MkdirAll(pv.Spec.HostPath.Path, 0o700)
	case pv.Spec.Local != nil:
		return pv.Spec.Local.Path, os.MkdirAll(pv.Spec.Local.Path, 0o700)
	}
	return "", fmt.Errorf("volume %s is neither hostPath nor local", pv.Name)
}

func (rt *podRuntime) valueFrom(from *corev1.EnvVarSource) (string, error) {
	ctx := context.Background()
	core := rt.kubelet.client.CoreV1()
	switch {
	case from.SecretKeyRef != nil:
		s, err := core.Secrets(rt.pod.Namespace).Get(ctx, from.SecretKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return string(s.Data[from.SecretKeyRef.Key]), nil
	case from.ConfigMapKeyRef != nil:
		cm, err := core.ConfigMaps(rt.pod.Namespace).Get(ctx, from.ConfigMapKeyRef.Name, metav1.GetOptions{})
		if err != nil {
			return "", err
		}
		return cm.Data[from.ConfigMapKeyRef.Key], nil
	case from.FieldRef != nil:
		switch from.FieldRef.FieldPath {
		case "metadata.name":
			return rt.pod.Name, nil
		case "metadata.namespace":
			return rt.pod.Namespace, nil
		case "status.podIP":
			return rt.ip, nil
		case "spec.nodeName":
			return nodeName, nil
		}
	}
	return "", fmt.Errorf("testenv's kubelet cannot resolve this valueFrom")
}

// inPod maps a path under a volume mount, in a container's args or env, to the volume's
// directory on this machine.
func (rt *podRuntime) inPod(values []string) []string {
	type mount struct{ path, dir string }
	var mounts []mount
	for _, c := range rt.pod.Spec.Containers {
		for _, vm := range c.VolumeMounts {
			if dir, ok := rt.mounts[vm.Name]; ok {
				mounts = append(mounts, mount{strings.TrimSuffix(vm.MountPath, "/"), filepath.Join(dir, vm.SubPath)})
			}
		}
	}
	// Longest first, so /a/b wins over /a.
	sort.Slice(mounts, func(i, j int) bool { return len(mounts[i].path) > len(mounts[j].path) })
	out := make([]string, len(values))
	for i, v := range values {
		for _, m := range mounts {
			v = replaceAtBoundary(v, m.path, m.dir, "/")
		}
		out[i] = v
	}
	return out
}

// replaceAtBoundary replaces `old` where it starts a value (at the start, or after = , or @)
// and ends one (at the end, or before one of `after` or a comma).
func replaceAtBoundary(s, old, with, after string) string {
	var b strings.Builder
	for {
		at := strings.Index(s, old)
		if at < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := at + len(old)
		startsValue := at == 0 || strings.ContainsRune("=,@", rune(s[at-1]))
		endsValue := end == len(s) || strings.ContainsRune(after+",", rune(s[end]))
		b.WriteString(s[:at])
		if startsValue && endsValue {
			b.WriteString(with)
		} else {
			b.WriteString(old)
		}
		s = s[end:]
	}
}

// writeHosts writes the pod's /etc/hosts: itself, and every Service of the cluster under its
// in-cluster names (as the cluster's DNS would answer them).
func (rt *podRuntime) writeHosts(services []string) error {
	lines := []string{"127.0.0.1 localhost", rt.ip + " " + rt.pod.Name}
	lines = append(lines, services...)
	content := []byte(strings.Join(lines, "\n") + "\n")
	// Written in place: the running programs see this file through a bind mount.
	return os.WriteFile(rt.hosts, content, 0o644)
}
