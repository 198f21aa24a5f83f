#!/usr/bin/env bash
# Builds the release: static claudit binaries for linux/amd64 and
# linux/arm64 (pure Go, no cgo: the SQLite driver is Go too), stamped with
# the version and commit that `claudit --version` prints, and SHA256SUMS.
#   VERSION=1.0.0 scripts/release.sh      (default: git describe, else dev)
#   DIST=out scripts/release.sh           (default: dist)
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DIST=${DIST:-dist}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
PLATFORMS=${PLATFORMS:-"linux/amd64 linux/arm64"}
pkg=github.com/claudit/claudit/internal/app

rm -rf "$DIST"
mkdir -p "$DIST"
for p in $PLATFORMS; do
  os=${p%/*} arch=${p#*/}
  out="$DIST/claudit_${VERSION}_${os}_${arch}"
  echo "build $out"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch "$GO" build -trimpath \
    -ldflags "-s -w -X $pkg.Version=$VERSION -X $pkg.Commit=$COMMIT" \
    -o "$out" ./cmd/claudit
done
(cd "$DIST" && sha256sum claudit_* > SHA256SUMS)
cat "$DIST/SHA256SUMS"
# The binary of this machine's platform must run and say what it is.
host="$DIST/claudit_${VERSION}_$("$GO" env GOOS)_$("$GO" env GOARCH)"
if [ -x "$host" ]; then
  "$host" --version
  if command -v file >/dev/null 2>&1 && ! file "$host" | grep -q 'statically linked'; then
    echo "release: $host is not statically linked" >&2
    exit 1
  fi
fi
