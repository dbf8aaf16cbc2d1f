package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// The federation API servers' audit logs. testenv's own API servers write theirs (cluster.go);
// a federation API server is a Pod the action deploys, run by a real node, and the tests count
// its writes as well (auditMark in __tests__/helpers/testenv.ts). So testenv adds auditing at
// admission, as an instrumented cluster would, and nothing else: a mutating webhook gives each
// container of the kube-apiserver image the audit flags, the policy as a downward-API file (from
// an annotation) and an emptyDir for the log, named after its Pod through $(VAR) expansion. The
// nodes' followers link each log into the audit directory as <namespace>_<pod>.log, beside the
// clusters' own. Only downwardAPI and emptyDir volumes: the Pod stays within Pod Security
// "restricted", which the action's namespace enforces.

const (
	auditPolicyAnnotation = "testenv.kubefed-action/audit-policy"
	auditPolicyVolume     = "testenv-audit-policy"
	auditLogVolume        = "testenv-audit"
	auditPolicyDir        = "/testenv/audit-policy"
	auditLogDir           = "/testenv/audit"
)

// auditWebhook is the HTTPS server of the mutating webhook, on the host's loopback, where the
// API servers (host processes) reach it.
type auditWebhook struct {
	url      string
	caBundle []byte
}

func startAuditWebhook(stopCh <-chan struct{}) (*auditWebhook, error) {
	ca, err := newAuthority("testenv-audit-webhook")
	if err != nil {
		return nil, err
	}
	serving, err := ca.issue("testenv-audit-webhook", nil, true)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(serving.certPEM, serving.keyPEM)
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/audit", serveAuditAdmission)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(ln) }()
	go func() {
		<-stopCh
		_ = server.Close()
	}()
	return &auditWebhook{url: fmt.Sprintf("https://%s/audit", ln.Addr().(*net.TCPAddr)), caBundle: ca.pem}, nil
}

// register makes the cluster send every Pod creation to the webhook. A Pod it cannot reach is
// refused rather than run without its audit log, which the tests would then miss.
func (w *auditWebhook) register(ctx context.Context, c *cluster) error {
	client, err := kubernetes.NewForConfig(c.config)
	if err != nil {
		return err
	}
	fail, none, timeout := admissionregistrationv1.Fail, admissionregistrationv1.SideEffectClassNone, int32(10)
	config := &admissionregistrationv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "testenv-audit"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{
			Name:                    "audit.testenv.kubefed-action",
			ClientConfig:            admissionregistrationv1.WebhookClientConfig{URL: &w.url, CABundle: w.caBundle},
			AdmissionReviewVersions: []string{"v1"},
			SideEffects:             &none,
			FailurePolicy:           &fail,
			TimeoutSeconds:          &timeout,
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
			}},
		}},
	}
	_, err = client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, config, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("%s: the audit webhook: %w", c.name, err)
	}
	return nil
}

func serveAuditAdmission(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	response := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	var pod corev1.Pod
	if err := json.Unmarshal(review.Request.Object.Raw, &pod); err != nil {
		response.Allowed = false
		response.Result = &metav1.Status{Message: "testenv audit webhook: " + err.Error()}
	} else if patch := auditPatch(&pod); len(patch) > 0 {
		raw, _ := json.Marshal(patch)
		kind := admissionv1.PatchTypeJSONPatch
		response.Patch, response.PatchType = raw, &kind
	}
	review.Response = response
	review.Request = nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(review)
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// isAPIServerImage: registry.k8s.io/kube-apiserver:TAG, or any registry's.
func isAPIServerImage(image string) bool {
	name, _, _ := strings.Cut(path.Base(image), "@")
	name, _, _ = strings.Cut(name, ":")
	return name == "kube-apiserver"
}

// auditPatch is the JSON patch giving each kube-apiserver container of the Pod an audit log;
// nothing for any other Pod.
func auditPatch(pod *corev1.Pod) []patchOp {
	var ops []patchOp
	// add appends value to the list at path, creating the list when the Pod has none.
	add := func(path string, present bool, values ...any) {
		if !present {
			ops = append(ops, patchOp{"add", path, values})
			return
		}
		for _, v := range values {
			ops = append(ops, patchOp{"add", path + "/-", v})
		}
	}
	for i, c := range pod.Spec.Containers {
		if !isAPIServerImage(c.Image) {
			continue
		}
		at := fmt.Sprintf("/spec/containers/%d", i)
		add(at+"/env", c.Env != nil,
			corev1.EnvVar{Name: "TESTENV_AUDIT_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
			corev1.EnvVar{Name: "TESTENV_AUDIT_POD", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
		add(at+"/volumeMounts", c.VolumeMounts != nil,
			corev1.VolumeMount{Name: auditPolicyVolume, MountPath: auditPolicyDir, ReadOnly: true},
			corev1.VolumeMount{Name: auditLogVolume, MountPath: auditLogDir})
		add(at+"/args", c.Args != nil,
			"--audit-policy-file="+auditPolicyDir+"/policy.yaml",
			"--audit-log-path="+auditLogDir+"/$(TESTENV_AUDIT_NAMESPACE)_$(TESTENV_AUDIT_POD).log",
			"--audit-log-format=json")
	}
	if ops == nil {
		return nil
	}
	if pod.Annotations == nil {
		ops = append(ops, patchOp{"add", "/metadata/annotations", map[string]string{}})
	}
	ops = append(ops, patchOp{"add", "/metadata/annotations/" + strings.ReplaceAll(auditPolicyAnnotation, "/", "~1"), auditPolicy})
	add("/spec/volumes", pod.Spec.Volumes != nil,
		corev1.Volume{Name: auditPolicyVolume, VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{
			Items: []corev1.DownwardAPIVolumeFile{{Path: "policy.yaml", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.annotations['" + auditPolicyAnnotation + "']"}}},
		}}},
		corev1.Volume{Name: auditLogVolume, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	return ops
}

// followAuditLogs links each log of the node's federation API servers into auditDir as it
// appears (checked every 100 ms, until stopCh closes), so that the tests read what the server
// has written the moment it has, even after its Pod's emptyDir is gone: a hard link beside the
// Pod directories (the kubelet's root is a mount of its own, and link(2) stays within one), and
// a symbolic link to it in auditDir.
func (n *node) followAuditLogs(auditDir string, stopCh <-chan struct{}) {
	root := filepath.Join(n.dir, "kubelet")
	pattern := filepath.Join(root, "pods", "*", "volumes", "kubernetes.io~empty-dir", auditLogVolume, "*.log")
	kept := filepath.Join(root, "testenv-audit")
	if err := os.MkdirAll(kept, 0o755); err != nil {
		logf("%s: audit logs: %v", n.name, err)
		return
	}
	linked := map[string]bool{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-stopCh:
			return
		case <-tick.C:
		}
		sources, _ := filepath.Glob(pattern)
		for _, src := range sources {
			if linked[src] {
				continue
			}
			linked[src] = true
			name := filepath.Base(src)
			err := os.Link(src, filepath.Join(kept, name))
			if err == nil || errors.Is(err, fs.ErrExist) {
				err = os.Symlink(filepath.Join(kept, name), filepath.Join(auditDir, name))
			}
			if err != nil && !errors.Is(err, fs.ErrExist) {
				logf("%s: audit log %s: %v", n.name, src, err)
			}
		}
	}
}
