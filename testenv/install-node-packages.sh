#!/bin/sh
# What testenv's nodes need from Debian: containerd (1.6), runc, the CNI plugins (bridge,
# host-local, portmap, loopback) and iptables (kube-proxy's and the CNI bridge's rules), plus
# gcc for the pause image's binary; and zsh, the one package the tests need beside them (the
# shell-completion test drives a real zsh), so that the README's test command is all a fresh
# machine needs. Installs only when one is missing, so a machine that has them all passes
# through in milliseconds; needs root and apt-get (Debian, Ubuntu).
set -eu
PACKAGES="containerd runc containernetworking-plugins iptables gcc libc6-dev zsh"
missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0
echo "testenv: installing the nodes' packages from apt:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Waiting for another apt-get's lock (an image's unattended upgrades) rather than failing.
apt-get -o DPkg::Lock::Timeout=600 update -qq
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
