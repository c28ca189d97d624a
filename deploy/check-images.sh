#!/usr/bin/env bash
# Reads the config of each image tarball built by `mvn -Pimages package` and checks what a
# cluster relies on: non-root user, a container-aware java entrypoint with the right main class
# (the sidecar: its own JVM options file, present in the image, and MALLOC_ARENA_MAX=2), and the
# exposed ports. Needs python3.
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
import io, json, sys, tarfile
path, image, main, ports = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split()
SIDECAR_OPTIONS = "/app/jvm/sidecar.options"
def file_in_layers(t, read, layers, wanted):
    """The content of file `wanted` in the image's layers (the last layer that has it), or None."""
    found = None
    for layer in layers:
        with tarfile.open(fileobj=io.BytesIO(read(layer))) as lt:
            for m in lt.getmembers():
                if m.isfile() and "/" + m.name.lstrip("./") == wanted:
                    found = lt.extractfile(m).read().decode()
    return found
with tarfile.open(path) as t:
    names = {m.name.lstrip("./"): m for m in t.getmembers()}
    read = lambda n: t.extractfile(names[n]).read()
    if "manifest.json" in names:  # docker-archive layout
        manifest = json.loads(read("manifest.json"))[0]
        config = json.loads(read(manifest["Config"]))
        layers = manifest["Layers"]
    else:  # OCI layout: index.json -> manifest -> config
        blob_name = lambda d: "blobs/" + d.replace(":", "/")
        manifest = json.loads(read(blob_name(json.loads(read("index.json"))["manifests"][0]["digest"])))
        config = json.loads(read(blob_name(manifest["config"]["digest"])))
        layers = [blob_name(l["digest"]) for l in manifest["layers"]]
    options = file_in_layers(t, read, layers, SIDECAR_OPTIONS) if image == "sidecar" else None
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
if image == "sidecar":
    # A small fixed heap and the flags of sidecar/src/main/jvm/sidecar.options, by design.
    if "@" + SIDECAR_OPTIONS not in ep:
        problems.append(f"entrypoint does not read @{SIDECAR_OPTIONS}: {ep}")
    if options is None:
        problems.append(f"{SIDECAR_OPTIONS} is not in the image")
    else:
        flags = [f for line in options.splitlines() for f in line.split("#")[0].split()]
        for flag in ("-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC"):
            if flag not in flags:
                problems.append(f"{SIDECAR_OPTIONS} lacks {flag}")
        if not any(f.startswith("-Xmx") for f in flags):
            problems.append(f"{SIDECAR_OPTIONS} sets no -Xmx")
    if "MALLOC_ARENA_MAX=2" not in (c.get("Env") or []):
        problems.append(f"environment lacks MALLOC_ARENA_MAX=2: {c.get('Env')}")
else:
    for flag in ("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError"):
        if flag not in ep:
            problems.append(f"entrypoint lacks {flag}: {ep}")
    if any(a.startswith("-Xmx") for a in ep):
        problems.append("a fixed -Xmx ignores the container memory limit")
if not ep or ep[-1] != main:
    problems.append(f"entrypoint main class is {ep[-1:] }, expected {main}")
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
