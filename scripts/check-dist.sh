#!/usr/bin/env bash
# After `npm run build`: fails when the committed dist/ differs from the build of the source,
# showing which files differ and how (the bundles are minified: each changed line is cut short).
set -euo pipefail
cd "$(dirname "$0")/.."
if git diff --quiet -- dist/ && [[ -z $(git ls-files --others --exclude-standard -- dist/) ]]; then
  echo "dist/ is the build of the source."
  exit 0
fi
git diff --text --stat -- dist/
git ls-files --others --exclude-standard -- dist/ | sed 's/^/new, not committed: /'
# head ends the pipe early on a long diff; that is no failure here.
git diff --text --no-color --unified=0 -- dist/ | cut -c 1-300 | head -n 200 || true
echo "::error::dist/ is not the build of the source: run npm run build and commit dist/"
exit 1
