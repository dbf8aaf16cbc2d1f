#!/usr/bin/env bash
# Lints the GitHub workflows (.github/workflows and the workflow examples) with actionlint, which
# runs shellcheck over every `run:` script, and shellchecks the project's own shell scripts.
# Part of `npm run lint`. Installs what is missing, once: actionlint from the Go module proxy
# into ~/.cache/kubefed-action/tools/ (a directory per version, kept like testenv's builds), and
# the system's shellcheck package (Debian/Ubuntu; GitHub's runners have it already).
set -euo pipefail
cd "$(dirname "$0")/.."

ACTIONLINT_VERSION=v1.7.12
tools="${XDG_CACHE_HOME:-$HOME/.cache}/kubefed-action/tools"
actionlint="$tools/actionlint-$ACTIONLINT_VERSION/actionlint"

if [[ ! -x "$actionlint" ]]; then
  command -v go >/dev/null || {
    echo "actionlint.sh: Go is needed once, to build actionlint $ACTIONLINT_VERSION (https://go.dev/dl/)" >&2
    exit 1
  }
  echo "actionlint.sh: building actionlint $ACTIONLINT_VERSION into ${actionlint%/*} (once)" >&2
  GOBIN="${actionlint%/*}" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi

if ! command -v shellcheck >/dev/null; then
  apt=(env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  [[ $(id -u) -eq 0 ]] || apt=(sudo "${apt[@]}")
  echo "actionlint.sh: installing shellcheck (apt-get)" >&2
  # The package lists may be missing (a fresh container): refresh them once, then retry.
  "${apt[@]}" install -y shellcheck >/dev/null || { "${apt[@]}" update && "${apt[@]}" install -y shellcheck >/dev/null; }
fi

# Without shellcheck actionlint silently skips the `run:` scripts: name it, so a missing one fails.
lint=("$actionlint" -shellcheck "$(command -v shellcheck)")
if [[ $# -gt 0 ]]; then
  "${lint[@]}" "$@" # the workflows named (the tests' broken ones)
  exit
fi
"${lint[@]}" .github/workflows/*.yml examples/deploy-gate.yml examples/provision.yml examples/reusable-federation.yml
shellcheck scripts/*.sh .ci/run
