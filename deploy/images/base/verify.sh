#!/usr/bin/env bash
# verify.sh BASE_TAR EXPECTED_CONFIG_DIGEST
# Fails unless BASE_TAR is the pinned base image (its config digest equals the pin). When the
# tarball is missing it is built first with build.sh (root, debootstrap, a Debian mirror).
set -euo pipefail
tar_file="$1"
expected="$2"
here="$(cd "$(dirname "$0")" && pwd)"

if [ ! -f "$tar_file" ]; then
  echo "base image $tar_file missing: building it with $here/build.sh" >&2
  "$here/build.sh" "$(dirname "$tar_file")"
fi

member() { tar -xOf "$tar_file" "$1" 2>/dev/null || tar -xOf "$tar_file" "./$1"; }
config="$(member manifest.json | grep -o '"Config":"[^"]*"' | head -1 | cut -d'"' -f4)"
[ -n "$config" ] || { echo "$tar_file: no Config in manifest.json; not a docker-archive image" >&2; exit 1; }
actual="sha256:$(member "$config" | sha256sum | cut -d' ' -f1)"
if [ "$actual" != "$expected" ]; then
  cat >&2 <<MSG
$tar_file has config digest $actual, but the build pins $expected.
The base image is pinned: a rebuilt one (new Debian packages) is used only after review.
Review it, then set keyward.base.digest in deploy/images/pom.xml to $actual
(or pass -Dkeyward.base.digest=$actual for a one-off build).
MSG
  exit 1
fi
echo "base image $tar_file matches pinned digest $expected"
