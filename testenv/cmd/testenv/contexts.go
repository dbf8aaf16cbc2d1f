package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// member is one context of the kubeconfig: its cluster entry, its user and its context, and the
// user's client certificate.
type member struct {
	name, user, context string
	admin               keyPair
}

// parseClusters reads the --clusters list, comma-separated:
//
//	NAME                      a cluster whose context is NAME
//	NAME=CONTEXT              a cluster whose context is CONTEXT
//	SERVER=CTX1+CTX2+...+CTXN one cluster, SERVER, that N contexts reach as if each were a
//	                          cluster of its own
//
// The last is for the benchmark, which joins 100 members: 100 API servers do not fit on 2 cores,
// and each member context must still have its own cluster entry, user and certificate, as
// distinct clusters would.
func parseClusters(spec string) ([]*cluster, error) {
	var out []*cluster
	// A name taken twice would silently overwrite a kubeconfig entry (or share a server's
	// directory and etcd prefix), so each kind of name must be unique.
	seen := map[string]map[string]bool{"server": {}, "cluster entry": {}, "user": {}, "context": {}}
	claim := func(kind, name string) error {
		if name == "" {
			return fmt.Errorf("--clusters %q: empty %s name", spec, kind)
		}
		if seen[kind][name] {
			return fmt.Errorf("--clusters: %s %q named twice", kind, name)
		}
		seen[kind][name] = true
		return nil
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, ctx, found := strings.Cut(item, "=")
		if !found {
			ctx = name
		}
		c := &cluster{name: name, context: ctx}
		if strings.Contains(ctx, "+") {
			// The server's own context name only names the kubeconfigs of its components.
			c.context, c.shared = name, true
			for _, m := range strings.Split(ctx, "+") {
				c.members = append(c.members, member{name: m, user: m, context: m})
			}
		} else {
			c.members = []member{{name: name, user: name + "-admin", context: ctx}}
		}
		if err := claim("server", name); err != nil {
			return nil, err
		}
		for _, m := range c.members {
			for _, err := range []error{claim("cluster entry", m.name), claim("user", m.user), claim("context", m.context)} {
				if err != nil {
					return nil, err
				}
			}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no clusters named")
	}
	return out, nil
}

// issueMembers gives each member context its client certificate. A NAME[=CONTEXT] cluster's
// context uses testenv's own admin certificate, as it always has. Each context of a shared
// server gets a key pair of its own, for the user the action acts as everywhere:
// kubernetes-admin, whom the audit policy records and whose requests the tests and the
// benchmark count. The extra group names the context, so that the audit log's user.groups
// still tells the members' requests apart.
func (c *cluster) issueMembers() error {
	if !c.shared {
		c.members[0].admin = c.admin
		return nil
	}
	for i := range c.members {
		kp, err := c.ca.issue("kubernetes-admin", []string{"system:masters", "testenv:context:" + c.members[i].context}, false)
		if err != nil {
			return err
		}
		c.members[i].admin = kp
	}
	return nil
}

// infos are ready.json's entries for the cluster: one per member context, all with the
// server's URL and audit log.
func (c *cluster) infos() []clusterInfo {
	var out []clusterInfo
	for _, m := range c.members {
		out = append(out, clusterInfo{Name: m.name, Context: m.context, Server: c.server, AuditLog: c.auditLog})
	}
	return out
}

// kubeconfigFor builds a kubeconfig with a cluster entry, a user and a context per member.
func kubeconfigFor(clusters []*cluster) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	for _, c := range clusters {
		for _, m := range c.members {
			cfg.Clusters[m.name] = &clientcmdapi.Cluster{Server: c.server, CertificateAuthorityData: c.ca.pem}
			cfg.AuthInfos[m.user] = &clientcmdapi.AuthInfo{ClientCertificateData: m.admin.certPEM, ClientKeyData: m.admin.keyPEM}
			cfg.Contexts[m.context] = &clientcmdapi.Context{Cluster: m.name, AuthInfo: m.user}
		}
	}
	cfg.CurrentContext = clusters[0].members[0].context
	return cfg
}

func writeKubeconfig(path string, clusters []*cluster) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return clientcmd.WriteToFile(*kubeconfigFor(clusters), path)
}
