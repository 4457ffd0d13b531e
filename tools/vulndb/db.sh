#!/usr/bin/env bash
# Prints the directory of the Go vulnerability database that govulncheck
# reads in CI (`govulncheck -db "file://$(tools/vulndb/db.sh)" ./...`).
#
# The database is the golang.org/x/vulndb module, served by the Go module
# proxy like any module: its data/osv directory holds one OSV file per
# vulnerability, which govulncheck v1.9.0 accepts as a database directory
# (it builds the index itself when index/modules.json is absent). Pinning
# the version makes CI reproducible and independent of vuln.go.dev.
#
# Refresh (see docs/security.md): set VERSION to the newest pseudo-version,
#   GOFLAGS=-mod=mod go list -m -json golang.org/x/vulndb@master | grep '"Version"'
# then run .ci/run (or the govulncheck line in it) and fix what it reports.
set -euo pipefail
VERSION=v0.0.0-20261105234957-e22db6528018
dir=$(go mod download -json "golang.org/x/vulndb@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ ! -f "$dir/data/osv/GO-2020-0001.json" ]; then
  echo "tools/vulndb/db.sh: golang.org/x/vulndb@$VERSION has no data/osv directory in $dir" >&2
  exit 1
fi
echo "$dir/data/osv"
