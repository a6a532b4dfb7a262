#!/usr/bin/env bash
# Installs the Swagger UI assets that inferd serves at /docs from the npm
# registry (versions and sha512 integrity pinned by web/swagger-ui/package-lock.json)
# into a cache outside the clone, and prints the directory holding them.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE=${INFERD_CACHE:-$HOME/.cache/inferd}
lock_hash=$(cat web/swagger-ui/package.json web/swagger-ui/package-lock.json | sha256sum | cut -c1-12)
dest="$CACHE/swagger-ui-$lock_hash"
if [ ! -f "$dest/.complete" ]; then
  rm -rf "$dest"
  mkdir -p "$dest"
  cp web/swagger-ui/package.json web/swagger-ui/package-lock.json "$dest/"
  (cd "$dest" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$dest/.complete"
fi
assets="$dest/node_modules/swagger-ui-dist"
[ -f "$assets/swagger-ui-bundle.js" ] || { echo "fetch_swagger_ui: no swagger-ui-bundle.js in $assets" >&2; exit 1; }
echo "$assets"
