package main

// containerdConfig is containerd 1.6's, one per node: its own root, state and socket; the CRI
// plugin with the overlayfs snapshotter, runc through testenv's wrapper (runcWrapper) with
// cgroupfs, the node's CNI directory, the pause image testenv builds, and the registries'
// hosts.toml (each a mirror that refuses). Pod network namespaces are mounted under the state
// directory, so the cleanup finds them, and so is runc's state. Arguments: root, state, socket,
// runc, runc's root, CNI conf dir, registry config dir.
const containerdConfig = `version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = %q
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10.1"
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = %q
        Root = %q
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = %q
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = %q
`

// cniConfig is the node's pod network: a bridge with the node as gateway, masquerading what
// leaves the pod range, with portmap for hostPort. Arguments: the pod range, host-local's
// data directory.
const cniConfig = `{
  "cniVersion": "0.4.0",
  "name": "testenv",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": %q}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": %q}
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
`

// kubeletConfig: cgroupfs on this machine's cgroup v1 (failCgroupV1: false), no swap check,
// x509 and webhook authentication and webhook authorization (the API server's kubelet client
// certificate), the cluster's DNS, and everything the kubelet writes under the node's directory.
// Eviction and image garbage collection are off as kind has them: the nodes share one disk and
// hold images they cannot pull again. Arguments: cgroup root, containerd socket, node address,
// client CA, cluster DNS, resolv.conf, pod logs, volume plugins.
const kubeletConfig = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: %q
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://%s
address: %q
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: %q}
authorization: {mode: Webhook}
clusterDNS: [%q]
clusterDomain: cluster.local
resolvConf: %q
podLogsDir: %q
volumePluginDir: %q
evictionHard: {memory.available: "0%%", nodefs.available: "0%%", nodefs.inodesFree: "0%%", imagefs.available: "0%%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
`

// kubeProxyConfig: iptables mode in the node's namespace; conntrack left as the namespace has it
// (a non-initial namespace may not set the machine's conntrack table size). Arguments:
// kubeconfig, cluster CIDR, node name.
const kubeProxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: %q}
mode: iptables
clusterCIDR: %q
hostnameOverride: %q
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
`
