package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// hostPathVolumes is where kube-controller-manager's hostPath provisioner makes the default
// storage class's volumes (a directory of this machine, which the node mounts).
const hostPathVolumes = "/tmp/hostpath_pv/"

// volumes are the directories the provisioner made for this testenv's clusters. They outlive
// the clusters (the provisioner deletes one only when its claim is deleted, and most tests
// leave their federation's claim behind), so testenv removes them when it stops: a test run
// makes dozens of etcd volumes of some 70 MB each.
type volumes struct {
	mu   sync.Mutex
	dirs map[string]bool
}

func (v *volumes) add(dir string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dirs == nil {
		v.dirs = map[string]bool{}
	}
	v.dirs[dir] = true
}

// remove removes every volume, once the nodes whose Pods mounted them are gone.
func (v *volumes) remove() {
	v.mu.Lock()
	defer v.mu.Unlock()
	for dir := range v.dirs {
		if err := os.RemoveAll(dir); err != nil {
			logf("volume %s: %v", dir, err)
		}
	}
	v.dirs = nil
}

// openVolumes makes each volume the provisioner makes writable by any user, as kind's default
// storage class (local-path-provisioner, whose setup script runs `mkdir -m 0777`) makes its
// volumes: the provisioner makes them root's 0750, which no non-root Pod could write, and a
// hostPath volume takes no fsGroup. It records each, for removal when testenv stops.
func openVolumes(client kubernetes.Interface, made *volumes, stopCh <-chan struct{}) error {
	factory := informers.NewSharedInformerFactory(client, 0)
	informer := factory.Core().V1().PersistentVolumes().Informer()
	open := func(obj any) {
		pv, ok := obj.(*corev1.PersistentVolume)
		if !ok || pv.Spec.HostPath == nil {
			return
		}
		dir := filepath.Clean(pv.Spec.HostPath.Path)
		if strings.HasPrefix(dir, hostPathVolumes) {
			made.add(dir)
			if err := os.Chmod(dir, 0o777); err != nil && !os.IsNotExist(err) {
				logf("volume %s: %v", pv.Name, err)
			}
		}
	}
	if _, err := informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: open, UpdateFunc: func(_, obj any) { open(obj) },
	}); err != nil {
		return err
	}
	factory.Start(stopCh)
	factory.WaitForCacheSync(stopCh)
	return nil
}
