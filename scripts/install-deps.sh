#!/usr/bin/env bash
# Install the Debian packages this project needs, only those that are missing.
# Usage: scripts/install-deps.sh [build|test|figures|valgrind|all]   (default: all)
set -eu

pkgs_build="make gcc pkg-config libconfig-dev libgsl-dev libbpf-dev libelf-dev zlib1g-dev clang llvm bpftool"
pkgs_test="libcmocka-dev iproute2 procps iperf3 nftables"
pkgs_figures="gnuplot-nox"
pkgs_valgrind="valgrind"

case "${1:-all}" in
build) want="$pkgs_build" ;;
test) want="$pkgs_build $pkgs_test" ;;
figures) want="$pkgs_build $pkgs_figures" ;;
valgrind) want="$pkgs_build $pkgs_test $pkgs_valgrind" ;;
all) want="$pkgs_build $pkgs_test $pkgs_figures $pkgs_valgrind" ;;
*) echo "install-deps.sh: unknown set '$1' (build, test, figures, valgrind or all)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps.sh: installing:$missing" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "install-deps.sh: need root to install:$missing" >&2
		echo "  run as root: apt-get update && apt-get install -y$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
