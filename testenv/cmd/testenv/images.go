package main

import (
	"fmt"
	"path"
	"strings"
)

// program is how testenv runs a container image: the binary built from the image's upstream
// source, and the version that source has. A container whose image is not in this table, or
// whose tag names another version, does not run: its pod waits, saying why.
type program struct {
	// binary is the file under the build directory.
	binary string
	// version is the tag testenv's build matches ("" accepts any tag).
	version string
	// entrypoint is the image's ENTRYPOINT, used when the container names no command.
	entrypoint []string
	// commands are the command names the image holds (argv[0]'s base name); empty accepts any.
	commands []string
}

// images maps an image repository to the program built from its source (see testenv/index.mjs
// for the builds).
var images = map[string]program{
	"registry.k8s.io/kube-apiserver":          {binary: "kube-apiserver", version: "v1.34.4", entrypoint: []string{"kube-apiserver"}, commands: []string{"kube-apiserver"}},
	"registry.k8s.io/kube-controller-manager": {binary: "kube-controller-manager", version: "v1.34.4", entrypoint: []string{"kube-controller-manager"}, commands: []string{"kube-controller-manager"}},
	"registry.k8s.io/etcd":                    {binary: "etcd", version: "3.6.4-0", entrypoint: []string{"etcd"}, commands: []string{"etcd"}},
	// KubeFed's image holds one binary, hyperfed, linked as controller-manager, webhook and
	// kubefedctl; it picks its command from argv[0].
	"quay.io/kubernetes-multicluster/kubefed": {
		binary: "hyperfed", version: "v0.10.0", entrypoint: []string{"./controller-manager"},
		commands: []string{"controller-manager", "webhook", "kubefedctl", "hyperfed"},
	},
}

// splitImage parses "registry/repo:tag" (a digest is kept as the tag's stand-in).
func splitImage(image string) (repo, tag string) {
	if at := strings.Index(image, "@"); at >= 0 {
		return image[:at], image[at+1:]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[:colon], image[colon+1:]
	}
	return image, "latest"
}

// resolve finds the program for a container: the binary to run and the argv (argv[0] as the
// image would see it). The error says why the container cannot run here.
func resolve(image string, command, args []string) (binary string, argv []string, err error) {
	repo, tag := splitImage(image)
	p, ok := images[repo]
	if !ok {
		return "", nil, fmt.Errorf("testenv has no program for image %s (it runs only images it builds from source)", image)
	}
	if p.version != "" && tag != p.version {
		return "", nil, fmt.Errorf("testenv builds %s %s, not %s", repo, p.version, tag)
	}
	if len(command) == 0 {
		command = p.entrypoint
	}
	name := path.Base(command[0])
	if len(p.commands) > 0 && !contains(p.commands, name) {
		return "", nil, fmt.Errorf("image %s has no command %s", image, command[0])
	}
	return p.binary, append(append([]string{}, command...), args...), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
