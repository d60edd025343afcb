#!/usr/bin/env bash
# A real container engine for `pnpm test:container` on a Debian 12 machine that reaches Debian's
# packages and the npm registry but no image registry. Run as root (CI: a fresh machine). Safe to run
# again: the base images are made once (about a minute on 2 cores).
#
#  1. installs Debian's podman (with crun, conmon, netavark) and debootstrap;
#  2. configures podman with no default network (every container --network none);
#  3. builds two local base images with debootstrap, and gives them the names the example Dockerfile
#     uses, so `podman build --pull=never` never asks a registry:
#       local/comfy-secrets-base:bookworm  minbase + python3, python3-venv, python3-dotenv, tini
#                                          (= debian:bookworm-slim for the Dockerfile's final stage)
#       local/comfy-secrets-node:bookworm  the same + this machine's Node 20 and npm
#                                          (= node:20-bookworm-slim for the Dockerfile's build stage;
#                                          Debian 12's nodejs is 18.19, below the workspace's engines)
#
# It changes the host: /etc/containers/{containers,storage}.conf, and a cgroup controller still
# attached to the cgroup2 mount is moved to its own v1 hierarchy (crun 1.8 refuses "hybrid mode").
# NETWORK RULE: every container runs with --network none (the config makes it the default). Never a
# bridge network: nothing may send traffic to a private-range address. A build step that installs
# packages may use --network host (it then reaches only what this machine reaches).
set -euo pipefail
ENGINE_DIR=${COMFY_SECRETS_ENGINE_DIR:-/var/tmp/comfy-secrets-engine}
BASE=local/comfy-secrets-base:bookworm
NODE_BASE=local/comfy-secrets-node:bookworm
export DEBIAN_FRONTEND=noninteractive
t() { local s=$SECONDS; "$@"; echo "[setup-podman] $((SECONDS - s))s: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { echo "setup-podman.sh: run as root" >&2; exit 1; }
mkdir -p "$ENGINE_DIR/storage" "$ENGINE_DIR/runroot"

if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
  t apt-get update -q >/dev/null
  t apt-get install -y -q podman debootstrap >/dev/null
fi

# Limits root may set here: without CAP_SYS_RESOURCE the nofile hard limit is the shell's, and podman
# clamps its own RLIMIT_NPROC to 32768, so the defaults of 1048576 fail in crun.
NOFILE=$(ulimit -Hn); NPROC=$(ulimit -Hu)
if [ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt 1048576 ]; then NOFILE=1048576; fi
if [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; then NPROC=32768; fi
mkdir -p /etc/containers
cat > /etc/containers/containers.conf <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "crun"
EOF
cat > /etc/containers/storage.conf <<EOF
[storage]
driver = "overlay"
graphroot = "$ENGINE_DIR/storage"
runroot = "$ENGINE_DIR/runroot"
EOF

if [ -r /sys/fs/cgroup/unified/cgroup.controllers ]; then
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    mkdir -p "/sys/fs/cgroup/$c"
    mountpoint -q "/sys/fs/cgroup/$c" || mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
  done
fi

if ! podman image exists "$BASE" || ! podman image exists "$NODE_BASE"; then
  # the Debian mirror this machine's apt already uses
  MIRROR=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
           awk '/^URIs:/ || /^deb /{print $2}' | grep -v security | head -1 || true)
  [ -n "$MIRROR" ] || { echo "setup-podman.sh: no Debian mirror in apt's sources" >&2; exit 1; }
  ROOTFS=$ENGINE_DIR/rootfs; rm -rf "$ROOTFS"
  t debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >/dev/null
  t chroot "$ROOTFS" apt-get update -q >/dev/null
  t chroot "$ROOTFS" apt-get install -y -q --no-install-recommends python3 python3-venv python3-dotenv tini >/dev/null
  chroot "$ROOTFS" apt-get clean
  rm -rf "$ROOTFS"/var/lib/apt/lists/*
  : > "$ROOTFS/etc/resolv.conf"   # debootstrap copied the host's resolver into it
  import() {
    tar -C "$ROOTFS" -c . | podman import -q \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
      --change 'CMD ["/bin/bash"]' - "$1" >/dev/null
  }
  t import "$BASE"
  # Node needs only libc, libstdc++ and libgcc_s, all in minbase. npm registry traffic may be
  # TLS-intercepted: the host's CA bundle goes along for `npm install` in a build (--network host).
  install -m755 "$(readlink -f "$(command -v node)")" "$ROOTFS/usr/local/bin/node"
  mkdir -p "$ROOTFS/usr/local/lib/node_modules" "$ROOTFS/etc/ssl/certs"
  cp -a "$(readlink -f "$(dirname "$(readlink -f "$(command -v npm)")")/..")" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/"
  t import "$NODE_BASE"
  rm -rf "$ROOTFS"
fi
# The names the example Dockerfile's FROM lines use, given to the local images (never pulled).
podman tag "$BASE" docker.io/library/debian:bookworm-slim
podman tag "$NODE_BASE" docker.io/library/node:20-bookworm-slim

# smoke test, no network
podman run --rm --network none "$NODE_BASE" sh -c 'node -e "console.log(\"node\", process.version)" && python3 -c "import dotenv; print(\"python-dotenv ok\")"'
if ip link show podman0 >/dev/null 2>&1 || ip link show cni-podman0 >/dev/null 2>&1; then
  echo "setup-podman.sh: a bridge network interface exists; remove it" >&2; exit 1
fi
