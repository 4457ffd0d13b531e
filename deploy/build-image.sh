#!/usr/bin/env bash
# build-image.sh SUITE_PATH TAG: builds the golocust suite at SUITE_PATH
# (a Go package path such as ./examples/quickstart, from the module that
# holds it) as a static binary and packages it into the FROM scratch image
# TAG with deploy/Dockerfile. Nothing is pulled from a registry.
#
# Environment: GOARCH (default: this machine's), GOFLAGS as for go build,
# DOCKER (default: docker).
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 SUITE_PATH TAG   (e.g. $0 ./examples/quickstart shop-loadtest:1)" >&2
  exit 2
fi
suite=$1 tag=$2
here=$(cd "$(dirname "$0")" && pwd)
ca=/etc/ssl/certs/ca-certificates.crt
if [ ! -r "$ca" ]; then
  echo "$0: $ca not found: install ca-certificates (the image carries this machine's CA bundle)" >&2
  exit 1
fi
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
start=$(date +%s)
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags='-s -w' -o "$ctx/loadtest" "$suite"
cp "$ca" "$ctx/ca-certificates.crt"
mkdir -p "$ctx/rootfs/tmp" && chmod 1777 "$ctx/rootfs/tmp"
cp "$here/Dockerfile" "$ctx/Dockerfile"
# The classic builder: it needs no buildx plugin and pulls nothing for
# FROM scratch.
DOCKER_BUILDKIT=0 "${DOCKER:-docker}" build --pull=false -q -t "$tag" "$ctx" >/dev/null
size=$("${DOCKER:-docker}" image inspect -f '{{.Size}}' "$tag")
echo "built $tag from $suite in $(( $(date +%s) - start ))s: $(( size / 1024 / 1024 )) MiB"
