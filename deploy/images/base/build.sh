#!/usr/bin/env bash
# Builds the Keyward base image (Debian bookworm minbase + OpenJDK 17 JRE headless) as a
# docker-archive tarball that Jib reads with `tar://`, without a Docker daemon or a registry.
# Needs root, debootstrap and a reachable Debian mirror.
#
#   deploy/images/base/build.sh [OUT_DIR]      (default: target/base-image under the repo root)
#
# Prints the image config digest at the end; deploy/images/pom.xml pins it (keyward.base.digest)
# and verify.sh refuses any other base. Built from the same Debian packages, the bytes are the
# same (fixed timestamps, sorted entries, no random salts); new packages mean a new digest.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
out="${1:-$repo/target/base-image}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm
# Fixed time for reproducible timestamps.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-1735689600}"

[ "$(id -u)" = 0 ] || { echo "build.sh must run as root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "install debootstrap first: apt-get install -y debootstrap" >&2; exit 1; }
command -v keytool >/dev/null || { echo "needs keytool (a JDK) on the build host" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates "$suite" "$root" "$mirror"

# The runtime user: 65532, no shell, no home to write into.
chroot "$root" groupadd --system --gid 65532 nonroot
chroot "$root" useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --no-create-home \
  --shell /usr/sbin/nologin nonroot

# Trim what a JVM service never needs: apt caches and lists, docs, man pages, locales.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/* "$root"/tmp/* \
  "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
# ca-certificates-java writes the JVM trust store as PKCS#12 with a random MAC salt, so no two
# builds match. Rewrite it without MAC or encryption (the certificates are public): the same
# certificates then give the same bytes. Uses the build host's keytool.
cacerts="$root/etc/ssl/certs/java/cacerts"
keytool -importkeystore -noprompt -srckeystore "$cacerts" -srcstorepass changeit \
  -destkeystore "$work/cacerts" -deststoretype pkcs12 -deststorepass changeit \
  -J-Dkeystore.pkcs12.macAlgorithm=NONE -J-Dkeystore.pkcs12.certProtectionAlgorithm=NONE >/dev/null 2>&1
install -m 0644 "$work/cacerts" "$cacerts"

# Per-build noise that would change the digest: caches, logs, machine identity.
rm -f "$root"/var/cache/ldconfig/aux-cache "$root"/var/lib/dbus/machine-id
: > "$root/etc/machine-id"
# debootstrap leaves the build host's resolver and hostname; a container gets its own.
: > "$root/etc/resolv.conf"
: > "$root/etc/hostname"

java_home=/usr/lib/jvm/java-17-openjdk-amd64
[ -x "$root$java_home/bin/java" ] || { echo "no JRE at $java_home in the image" >&2; exit 1; }

mkdir -p "$work/image"
# One layer; entries sorted, numeric owners, fixed mtimes: the same inputs give the same bytes.
tar --sort=name --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime \
  --xattrs --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf "$work/image/layer.tar" .
diff_id="sha256:$(sha256sum "$work/image/layer.tar" | cut -d' ' -f1)"
created="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
cat > "$work/image/config.json" <<JSON
{"architecture":"amd64","os":"linux","created":"$created","config":{"User":"65532:65532","Env":["PATH=$java_home/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=$java_home","LANG=C.UTF-8"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["$diff_id"]},"history":[{"created":"$created","created_by":"deploy/images/base/build.sh: debootstrap $suite minbase + openjdk-17-jre-headless"}]}
JSON
config_digest="$(sha256sum "$work/image/config.json" | cut -d' ' -f1)"
mv "$work/image/config.json" "$work/image/$config_digest.json"
cat > "$work/image/manifest.json" <<JSON
[{"Config":"$config_digest.json","RepoTags":["keyward/base:bookworm-jre17"],"Layers":["layer.tar"]}]
JSON

mkdir -p "$out"
# Members named plainly (no "./" entry): Jib refuses archive entries that resolve outside its
# destination, and "./" does.
tar --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -C "$work/image" -cf "$out/base.tar" \
  manifest.json "$config_digest.json" layer.tar
echo "sha256:$config_digest" > "$out/base.tar.digest"
echo "base image: $out/base.tar"
echo "config digest: sha256:$config_digest"
