#!/usr/bin/env bash
# Installs every Debian package d1drive needs to build, test and run. Idempotent: it only
# calls apt-get when something is missing (apt-get update first, as a fresh machine needs).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libcaf-dev
  libfuse3-dev fuse3
  liblmdb-dev lmdb-utils
  libssl-dev openssl
  libcurl4-openssl-dev curl ca-certificates
  libsimdjson-dev
  nlohmann-json3-dev
  libpugixml-dev
  libtomlplusplus-dev
  libcli11-dev
  libspdlog-dev libfmt-dev
  libtiff-dev libhdf5-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
  # for /usr/bin/python3 (python3 on PATH may be another build): the datum tests' and
  # benchmark's independent reference reads .npy, HDF5 and TIFF with these
  python3-numpy python3-h5py python3-tifffile
  attr procps psmisc
  plocate
  # installing like a system tool: sd_notify, the man page, `make deb` and its tests
  libsystemd-dev systemd help2man dpkg-dev file logrotate man-db
  # `make test-asan`, `make test-tsan` and `make fuzz` (docs/hardening.md): libFuzzer and
  # the sanitizer runtimes come with clang's runtime libraries; ccache for their build dirs
  clang libclang-rt-14-dev llvm ccache
  # only for `make bench`: the baselines of the copy (mobile.sh) and streaming benchmarks
  # (streaming.sh: nginx serves the object bytes, curl and rclone mount read them too)
  rclone rsync nginx-light curl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
