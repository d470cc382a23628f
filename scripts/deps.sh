#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install everything osnic needs on Debian 12 (bookworm), idempotently.
#
# - Host toolchain and libraries come from bookworm; libbpf-dev and bpftool
#   from bookworm-backports (added as a source, default pin priority 100, so
#   nothing else is pulled from it unless asked for by name).
# - virtme-ng and the sched_ext guest kernel come from trixie and
#   trixie-backports through a *separate* apt configuration (own sources file,
#   own lists and cache directory). They are only downloaded, never resolved
#   against the host's sources, so the host is never upgraded to trixie.
#
# Quiet when there is nothing to do. Exit non-zero with a clear message when
# something cannot be had.
set -euo pipefail

STATE=${OSNIC_DEPS_STATE:-/var/lib/osnic-deps}
TRIXIE_DIR=$STATE/trixie-apt
KVER_FILE=$STATE/guest-kernel-version

msg() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (apt-get and kernel unpacking)"
[ -r /etc/debian_version ] || die "this script supports Debian 12 (bookworm) only"
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] ||
	msg "warning: host is '${VERSION_CODENAME:-unknown}', not bookworm; continuing"

export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# Package name -> minimum version check is done by dpkg-query below.
HOST_PKGS=(clang-19 llvm-19 lld-19 libclang-rt-19-dev libelf-dev zlib1g-dev libxdp-dev
	libcriterion-dev libmnl-dev libtirpc-dev rpcbind rpcsvc-proto iproute2
	qemu-system-x86 busybox-static udev kmod file pkg-config make
	python3-requests python3-argcomplete python3-pkg-resources gnuplot-nox
	netcat-openbsd zstd xz-utils jq python3 ethtool
	ypserv yp-tools rusersd rusers)
BACKPORT_PKGS=(libbpf-dev bpftool)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_updated=0
apt_update() {
	[ $apt_updated = 1 ] && return 0
	msg "apt-get update"
	apt-get update -q >/dev/null || die "apt-get update failed"
	apt_updated=1
}

ensure_backports_source() {
	local f=/etc/apt/sources.list.d/osnic-bookworm-backports.sources
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		msg "adding bookworm-backports to apt sources ($f)"
		cat >"$f" <<EOS
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
		apt_updated=0
	fi
}

install_host_packages() {
	local missing=() p
	for p in "${HOST_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update
		msg "installing ${missing[*]}"
		apt-get install "${APT_OPTS[@]}" --no-install-recommends "${missing[@]}" >/dev/null ||
			die "could not install: ${missing[*]}"
	fi

	# libbpf 1.4 and bpftool 7.5: bookworm's libbpf 1.1 lacks what we use.
	local need_bp=0
	installed libbpf-dev || need_bp=1
	installed bpftool || need_bp=1
	if installed libbpf-dev && dpkg --compare-versions \
		"$(dpkg-query -W -f='${Version}' libbpf-dev)" lt 1:1.4; then
		need_bp=1
	fi
	if [ $need_bp = 1 ]; then
		ensure_backports_source
		apt_update
		msg "installing ${BACKPORT_PKGS[*]} from bookworm-backports"
		apt-get install "${APT_OPTS[@]}" --no-install-recommends \
			-t bookworm-backports "${BACKPORT_PKGS[@]}" >/dev/null ||
			die "could not install ${BACKPORT_PKGS[*]} from bookworm-backports"
	fi
}

# A private apt configuration for trixie: nothing it learns reaches the
# host's package lists or preferences.
trixie_apt() {
	apt-get -q \
		-o Dir::Etc::SourceList="$TRIXIE_DIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null \
		-o Dir::Etc::PreferencesParts=/dev/null \
		-o Dir::State::Lists="$TRIXIE_DIR/lists" \
		-o Dir::State::Status="$TRIXIE_DIR/status" \
		-o Dir::Cache="$TRIXIE_DIR/cache" \
		-o APT::Get::List-Cleanup=0 \
		"$@"
}

trixie_cache() {
	apt-cache -q \
		-o Dir::Etc::SourceList="$TRIXIE_DIR/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$TRIXIE_DIR/lists" \
		-o Dir::State::Status="$TRIXIE_DIR/status" \
		-o Dir::Cache="$TRIXIE_DIR/cache" \
		"$@"
}

trixie_updated=0
trixie_update() {
	[ $trixie_updated = 1 ] && return 0
	mkdir -p "$TRIXIE_DIR/lists/partial" "$TRIXIE_DIR/cache/archives/partial" "$TRIXIE_DIR/debs"
	: >"$TRIXIE_DIR/status"
	cat >"$TRIXIE_DIR/sources.list" <<EOS
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie-backports main
EOS
	msg "fetching trixie package lists (private apt state in $TRIXIE_DIR)"
	trixie_apt update >/dev/null || die "apt-get update for trixie failed"
	trixie_updated=1
}

trixie_download() { # pkg...
	chown _apt "$TRIXIE_DIR/debs" 2>/dev/null || true
	(cd "$TRIXIE_DIR/debs" && trixie_apt download "$@" >/dev/null 2>&1) ||
		die "could not download from trixie: $*"
}

install_virtme_ng() {
	command -v vng >/dev/null && return 0
	trixie_update
	msg "installing virtme-ng from trixie (dependencies from bookworm)"
	rm -f "$TRIXIE_DIR"/debs/virtme-ng_*.deb
	trixie_download virtme-ng
	dpkg -i "$TRIXIE_DIR"/debs/virtme-ng_*.deb >/dev/null 2>&1 || {
		# Resolve its dependencies from bookworm only.
		apt_update
		apt-get install "${APT_OPTS[@]}" -f --no-install-recommends >/dev/null ||
			die "virtme-ng's dependencies cannot be installed from bookworm"
	}
	command -v vng >/dev/null || die "virtme-ng installed but 'vng' not found"
}

guest_kernel_ok() { # version
	local v=$1
	[ -r "/usr/lib/modules/$v/vmlinuz" ] && [ -r "/usr/lib/modules/$v/modules.dep" ] &&
		grep -qs '^CONFIG_SCHED_CLASS_EXT=y' "/usr/lib/modules/$v/config"
}

install_guest_kernel() {
	if [ -r "$KVER_FILE" ] && guest_kernel_ok "$(cat "$KVER_FILE")"; then
		return 0
	fi
	trixie_update
	# linux-image-amd64 is a meta package: its dependency names the real
	# versioned image package (generic flavour, which has 9p for virtme-ng).
	local img ver
	img=$(trixie_cache -t trixie-backports depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	if [ -z "$img" ]; then
		img=$(trixie_cache show -a linux-image-amd64 2>/dev/null |
			awk -F'[ ,]+' '/^Depends:/ {for (i = 2; i <= NF; i++) if ($i ~ /^linux-image-[0-9]/) print $i}' |
			sort -V | tail -1)
	fi
	[ -n "$img" ] || die "no linux-image-amd64 in trixie-backports"
	ver=${img#linux-image-}
	ver=${ver%-unsigned}
	msg "installing sched_ext guest kernel $ver for virtme-ng"

	local pkgs=("linux-binary-$ver" "linux-modules-$ver" "linux-base-$ver") p
	local dl=$TRIXIE_DIR/debs/kernel
	rm -rf "$dl" && mkdir -p "$dl" && chown _apt "$dl" 2>/dev/null || true
	(cd "$dl" && trixie_apt download "${pkgs[@]}" >/dev/null 2>&1) ||
		die "could not download guest kernel packages: ${pkgs[*]}"

	# Unpack (not install): the guest shares the host's root file system and
	# looks for its modules under /usr/lib/modules/$ver. dpkg does not own
	# these files, and the host's own kernel packages are untouched. The
	# packages put vmlinuz, config and modules all under that directory.
	local tmp
	tmp=$(mktemp -d)
	for p in "$dl"/*.deb; do dpkg-deb -x "$p" "$tmp"; done
	[ -r "$tmp/usr/lib/modules/$ver/vmlinuz" ] || die "guest kernel $ver: no vmlinuz in the packages"
	[ -r "$tmp/usr/lib/modules/$ver/config" ] || die "guest kernel $ver: no config in the packages"
	mkdir -p "/usr/lib/modules/$ver"
	cp -a "$tmp/usr/lib/modules/$ver/." "/usr/lib/modules/$ver/"
	rm -rf "$tmp"
	depmod "$ver" || die "depmod $ver failed"
	grep -qs '^CONFIG_SCHED_CLASS_EXT=y' "/usr/lib/modules/$ver/config" ||
		die "guest kernel $ver lacks CONFIG_SCHED_CLASS_EXT=y: cannot test sched_ext"
	mkdir -p "$STATE"
	echo "$ver" >"$KVER_FILE"
	msg "guest kernel $ver ready under /usr/lib/modules/$ver"
}

case "${1:-all}" in
host) install_host_packages ;;
vm) install_virtme_ng; install_guest_kernel ;;
all) install_host_packages; install_virtme_ng; install_guest_kernel ;;
guest-kernel-version) cat "$KVER_FILE" ;;
*) die "usage: $0 [all|host|vm|guest-kernel-version]" ;;
esac
