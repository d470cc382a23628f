#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make install, used as an application developer would: install into a
# DESTDIR with PREFIX=/usr, check what is there (and what is not), build
# tests/install/install_svc.c with nothing but the flags the installed
# osnic.pc gives, run it against the *installed* osnicd with XDP attached
# in a network namespace, call it with the installed osnic-demo-client and
# rpcinfo, then make uninstall and check that no file is left.
#
# pkg-config: the installed osnic.pc is read with its prefix moved into
# DESTDIR (a copy with the prefix= line changed: its directories are
# ${prefix}-relative). PKG_CONFIG_SYSROOT_DIR cannot stand in for that:
# pkgconf applies it to every package, and libtirpc's -I/usr/include/tirpc
# would then point into DESTDIR too.
#
# Needs root; uses demo_common.sh's namespaces, rpcbind and osnicd helpers.
# BUILD= selects the build directory. Ends with "N passed, N failed".
set -uo pipefail

name=inst
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/../integration/demo_common.sh"

cleanup() {
	set +e
	stop_server
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

dest=$tmp/dest
usr=$dest/usr
pcdir=$tmp/pkgconfig
CC=${CC:-cc}
# What the Makefile installs; headers that must stay private.
sbin_progs=(osnicd osnic-sched osnicctl)
bin_progs=(osnic-demo-server osnic-demo-client osnic-loadgen osnic-run)
headers=(osnic.h rpc.h xdr.h rpcmsg.h abi.h tirpc.h)
private_headers=(loader.h ctl.h nl.h ring.h sched.h)

pkgcfg() { PKG_CONFIG_PATH=$pcdir pkg-config "$@"; }

require
[ -r "$build/bpf/xdp_pass.bpf.o" ] || { echo "error: $build/bpf/xdp_pass.bpf.o missing; run make" >&2; exit 1; }
command -v pkg-config >/dev/null || { echo "error: pkg-config is needed" >&2; exit 1; }

say "make install DESTDIR=$dest PREFIX=/usr"
check "make install" make -C "$top" --no-print-directory BUILD="$build" DESTDIR="$dest" PREFIX=/usr install

say "installed files"
for f in "${sbin_progs[@]}"; do check "sbin/$f" test -x "$usr/sbin/$f"; done
for f in "${bin_progs[@]}"; do check "bin/$f" test -x "$usr/bin/$f"; done
check "lib/libosnic.so.0.1" test -f "$usr/lib/libosnic.so.0.1"
check_out "lib/libosnic.so.0 -> libosnic.so.0.1" "^libosnic.so.0.1$" readlink "$usr/lib/libosnic.so.0"
check_out "lib/libosnic.so -> libosnic.so.0" "^libosnic.so.0$" readlink "$usr/lib/libosnic.so"
check_out "soname libosnic.so.0" "SONAME.*\[libosnic.so.0\]" readelf -d "$usr/lib/libosnic.so.0.1"
check "lib/libosnic.a" test -f "$usr/lib/libosnic.a"
check "lib/libosnic-run.so (osnic-run's shim)" test -f "$usr/lib/libosnic-run.so"
check_out "lib/pkgconfig/osnic.pc" "^prefix=/usr$" cat "$usr/lib/pkgconfig/osnic.pc"
for h in "${headers[@]}"; do check "include/osnic/$h" test -f "$usr/include/osnic/$h"; done
for h in "${private_headers[@]}"; do check "include/osnic/$h is not installed" test ! -e "$usr/include/osnic/$h"; done
for m in "$top"/man/*.[0-9]; do
	check "man${m##*.}/${m##*/}" test -f "$usr/share/man/man${m##*.}/${m##*/}"
done
check_out "libosnic.3 is the library's page" "^\.TH LIBOSNIC 3" cat "$usr/share/man/man3/libosnic.3"
unit=$usr/lib/systemd/system/osnicd.service
# shellcheck disable=SC2016 # a literal $OSNICD_OPTS
check_out "osnicd.service: ExecStart=/usr/sbin/osnicd \$OSNICD_OPTS" \
	'^ExecStart=/usr/sbin/osnicd \$OSNICD_OPTS$' cat "$unit"
check_out "osnicd.service: Type=simple" "^Type=simple$" cat "$unit"

# Every function the installed headers declare is exported, and the
# control-protocol client is not.
exported=$(nm -D --defined-only "$usr/lib/libosnic.so.0.1" | awk '{ sub(/@.*/, "", $3); print $3 }')
declared=$(cat "${headers[@]/#/$usr/include/osnic/}" |
	grep -E '^[a-z]' | grep -Ev '^(static|typedef|#)' |
	sed -nE 's/^[^(]*[ *]([a-z_][a-z0-9_]*)\(.*/\1/p' | sort -u)
missing=$(comm -23 <(echo "$declared") <(echo "$exported" | sort -u))
if [ -n "$declared" ] && [ -z "$missing" ]; then
	pass "libosnic.so exports the $(wc -l <<<"$declared") functions the headers declare"
else
	fail "libosnic.so exports what the headers declare" "missing: $missing"
fi
check_fails "libosnic.so does not export osnic_ctl_*" "^$" grep '^osnic_ctl_' <<<"$exported"

say "building against the installed library (pkg-config only)"
mkdir -p "$pcdir"
sed "s|^prefix=.*|prefix=$usr|" "$usr/lib/pkgconfig/osnic.pc" >"$pcdir/osnic.pc"
cflags=$(pkgcfg --cflags osnic)
libs=$(pkgcfg --libs osnic)
static_libs=$(pkgcfg --static --libs osnic)
check_out "pkg-config --cflags osnic" "-I$usr/include( |$)" echo "$cflags"
check_out "pkg-config --libs osnic" "-L$usr/lib -losnic" echo "$libs"
check_out "pkg-config --static --libs osnic has libtirpc, libmnl, libbpf" \
	"-ltirpc.*-lmnl.*-lbpf|-lmnl.*-lbpf.*-ltirpc" echo "$static_libs"
for h in "${headers[@]}"; do
	# shellcheck disable=SC2086
	check "<osnic/$h> compiles on its own" \
		$CC -Wall -Wextra -Werror -fsyntax-only $cflags -x c - <<<"#include <osnic/$h>"
done
# shellcheck disable=SC2086
check_out "osnic.h comes from DESTDIR" "$usr/include/osnic/osnic.h" \
	$CC -M $cflags "$top/tests/install/install_svc.c"
# shellcheck disable=SC2086
check "install_svc builds (shared libosnic)" \
	$CC -O2 -Wall -Wextra -Werror -Wno-unused-parameter $cflags \
	"$top/tests/install/install_svc.c" -o "$tmp/install_svc" $libs
check_out "install_svc needs libosnic.so.0" "NEEDED.*\[libosnic.so.0\]" readelf -d "$tmp/install_svc"
check_out "the loader finds it in DESTDIR" "libosnic.so.0 => $usr/lib/libosnic.so.0 " \
	env LD_LIBRARY_PATH="$usr/lib" ldd "$tmp/install_svc"
# shellcheck disable=SC2086
check "install_svc builds (static libosnic, pkg-config --static)" \
	$CC -O2 -Wall -Wextra -Werror -Wno-unused-parameter $cflags \
	"$top/tests/install/install_svc.c" -o "$tmp/install_svc_static" \
	${static_libs/-losnic/-l:libosnic.a}
check_fails "install_svc_static does not need libosnic.so" "^$" \
	grep libosnic <<<"$(ldd "$tmp/install_svc_static" 2>&1)"

setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/xdp_pass.bpf.o" sec xdp
ensure_rpcbind
say "the installed osnicd in $srv"
# start_osnic and in_osnic run $bin/osnicd and $bin/osnicctl: the installed ones.
bin=$usr/sbin
start_osnic || { fail "the installed osnicd starts"; finish; exit; }
pass "the installed osnicd starts"
check "osnicctl iface attach $srv_if" in_osnic "$bin/osnicctl" iface attach "$srv_if"

say "install_svc (shared, LD_LIBRARY_PATH=$usr/lib) in $srv"
server_exec=(nsenter --target "$holder_pid" --mount --net env LD_LIBRARY_PATH="$usr/lib")
server_bin=$tmp/install_svc
if start_server; then
	cl=("$usr/bin/osnic-demo-client")
	[ "$rpcbind_remote" = 1 ] || cl+=(-p "$port")
	rpcbind_checks
	check_out "ADD 40 2 from the installed osnic-demo-client" "^add: 42$" in_cli "${cl[@]}" "$srv_ip" add 40 2
	check_out "ADD wraps" "^add: 9223372036854775807$" \
		in_cli "${cl[@]}" "$srv_ip" add -9223372036854775808 -1
	check_out "100 ADD calls" "^100 calls, 100 answered, 0 failed$" \
		in_cli "${cl[@]}" -n 100 "$srv_ip" add 1 2
	# Not under check: stop_server waits for a child of this shell.
	if stop_server; then
		pass "install_svc exits 0 on SIGTERM"
	else
		fail "install_svc exits 0 on SIGTERM" "$(cat "$tmp/server.err")"
	fi
	ring_calls=$(sed -n 's/^ring_calls \([0-9]*\) .*/\1/p' "$tmp/server.out")
	if [ "${ring_calls:-0}" -ge 102 ]; then
		pass "the calls came through the XDP ring ($ring_calls)"
	else
		fail "the calls came through the XDP ring" "$(cat "$tmp/server.out" "$tmp/server.err")"
	fi
	rpcbind_gone_check
fi
stop_osnic

say "make uninstall DESTDIR=$dest PREFIX=/usr"
check "make uninstall" make -C "$top" --no-print-directory BUILD="$build" DESTDIR="$dest" PREFIX=/usr uninstall
left=$(find "$dest" ! -type d)
if [ -d "$usr/sbin" ] && [ -z "$left" ]; then
	pass "no file is left in DESTDIR"
else
	fail "no file is left in DESTDIR" "$left"
fi
check "include/osnic is removed" test ! -e "$usr/include/osnic"

finish
