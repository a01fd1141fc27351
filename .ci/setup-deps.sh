#!/usr/bin/env bash
# Installs the Debian 12 packages mcmsim needs, only those missing.
# Quiet when everything is present; 'apt-get update' runs only when something is missing.
set -euo pipefail
pkgs=(build-essential libopenmpi-dev openmpi-bin libscalapack-openmpi-dev libhdf5-openmpi-dev
  hdf5-tools libgsl-dev libopenblas-dev librandom123-dev libinih-dev libcmocka-dev pkg-config
  python3-h5py python3-numpy python3-matplotlib git slurm-wlm munge)
missing=()
for p in "${pkgs[@]}"; do
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$st" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "mcmsim: missing Debian packages: ${missing[*]}" >&2
  echo "mcmsim: run as root:  $cmd" >&2
  exit 1
fi
echo "mcmsim: installing missing packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
