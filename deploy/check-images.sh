#!/usr/bin/env bash
# Reads the config of each image tarball built by `mvn -Pimages package` and checks what a
# cluster relies on: non-root user, a container-aware java entrypoint with the right main class,
# and the exposed ports. Needs python3.
#
#   deploy/check-images.sh                 check all three images under deploy/images/*/target
#   deploy/check-images.sh TAR             check one (the image is recognised by its path)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

expect() { # image -> "main|ports"
  case "$1" in
    keyserver) echo "io.keyward.keyserver.KeyserverMain|8443/tcp 9090/tcp" ;;
    sidecar) echo "io.keyward.sidecar.SidecarMain|8180/tcp 8181/tcp 8182/tcp" ;;
    injector) echo "io.keyward.injector.InjectorMain|8443/tcp" ;;
    *) return 1 ;;
  esac
}

check() {
  local tar_file="$1" image
  image="$(basename "$(dirname "$(dirname "$tar_file")")")"
  local spec; spec="$(expect "$image")" || { echo "$tar_file: unknown image '$image'" >&2; return 1; }
  python3 - "$tar_file" "$image" "${spec%%|*}" "${spec#*|}" <<'PY'
import json, sys, tarfile
path, image, main, ports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
with tarfile.open(path) as t:
    names = {m.name.lstrip("./"): m for m in t.getmembers()}
    read = lambda n: t.extractfile(names[n]).read()
    if "manifest.json" in names:  # docker-archive layout
        config = json.loads(read(json.loads(read("manifest.json"))[0]["Config"]))
    else:  # OCI layout: index.json -> manifest -> config
        blob = lambda d: read("blobs/" + d.replace(":", "/"))
        manifest = json.loads(blob(json.loads(read("index.json"))["manifests"][0]["digest"]))
        config = json.loads(blob(manifest["config"]["digest"]))
c = config.get("config", {})
problems = []
user = c.get("User", "")
if user.split(":")[0] in ("", "0", "root"):
    problems.append(f"runs as root (User={user!r})")
elif user != "65532:65532":
    problems.append(f"User is {user!r}, expected '65532:65532'")
ep = c.get("Entrypoint") or []
if not ep or ep[0] != "java":
    problems.append(f"entrypoint does not start with java: {ep}")
for flag in ("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError"):
    if flag not in ep:
        problems.append(f"entrypoint lacks {flag}: {ep}")
if not ep or ep[-1] != main:
    problems.append(f"entrypoint main class is {ep[-1:] }, expected {main}")
if any(a.startswith("-Xmx") for a in ep):
    problems.append("a fixed -Xmx ignores the container memory limit")
exposed = sorted((c.get("ExposedPorts") or {}).keys())
if exposed != sorted(ports):
    problems.append(f"exposed ports {exposed}, expected {sorted(ports)}")
if problems:
    print(f"{path}: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"{image}: user {user}, entrypoint {' '.join(ep)}, ports {' '.join(exposed)}: ok")
PY
}

if [ $# -gt 0 ]; then
  for t in "$@"; do check "$t"; done
else
  for image in keyserver sidecar injector; do check "$root/deploy/images/$image/target/image.tar"; done
fi
