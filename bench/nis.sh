#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# NIS lookups: Debian's ypserv on libtirpc, then the same binary under
# osnic-run, answering YPPROC_MATCH for random keys of a 10,000-entry map
# from the client namespace (osnic-nis-client -T: one call in flight per
# client; 1 client, then 2 at once). Prints a table and writes it to
# $BUILD/bench/nis.txt. BENCH_QUICK=1: fewer calls. Needs root, ypserv.
set -uo pipefail

name=nis
# shellcheck source=scripts/lib/netns.sh
source "$(dirname "$0")/../scripts/lib/netns.sh"

CALLS=${NIS_CALLS:-20000}
[ "${BENCH_QUICK:-0}" = 1 ] && CALLS=${NIS_CALLS:-3000}
KEYS=10000
domain=osnicbench$$
map=bench.byname
ypdir=/var/yp/$domain
ypport=$((30000 + $$ % 20000))
out=$build/bench/nis.txt
daemon_pid=

cleanup() {
	set +e
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	rm -rf "$ypdir"
	common_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require "$bin/osnic-run" "$bin/osnic-nis-client" "$bin/osnicd" "$bin/osnicctl" /usr/lib/yp/makedbm
command -v ypserv >/dev/null || { echo "error: ypserv missing (make deps)" >&2; exit 1; }
setup_netns
ip -n "$cli" link set dev "veth-$name-c" xdpdrv obj "$build/bpf/osnic_pass.bpf.o" sec xdp
ensure_rpcbind
start_osnic || exit 1
in_osnic "$bin/osnicctl" iface attach "$srv_if" >/dev/null || exit 1

mkdir -p "$ypdir" "$(dirname "$out")"
seq 0 $((KEYS - 1)) | awk '{ printf "user%d\tuser%d:x:%d:%d:User %d:/home/user%d:/bin/sh\n", $1, $1, 10000 + $1, 100, $1, $1 }' |
	/usr/lib/yp/makedbm - "$ypdir/$map" || exit 1

# run_clients N: N clients at once, CALLS calls each; prints their timing lines.
run_clients() {
	local i pids=()
	for i in $(seq "$1"); do
		in_cli "$bin/osnic-nis-client" -T -p "$ypport" "$srv_ip" "$domain" "$map" \
			random "$CALLS" user%d "$KEYS" >"$tmp/client.$i" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for i in $(seq "$1"); do grep -h '' "$tmp/client.$i"; done
}

rows=()
for server in tirpc osnic-run; do
	wrap=()
	[ "$server" = osnic-run ] && wrap=("$bin/osnic-run")
	nsenter --target "$holder_pid" --mount --net unshare --uts \
		sh -c 'domainname "$0" && exec "$@"' "$domain" "${wrap[@]}" ypserv -f -p "$ypport" \
		>"$tmp/ypserv.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do
		in_cli "$bin/osnic-nis-client" -p "$ypport" "$srv_ip" "$domain" "$map" match user1 \
			>/dev/null 2>&1 && break
		sleep 0.05
	done
	d0=$(in_osnic "$bin/osnicctl" -j stats | jq '.rx.rpc_delivered')
	run_clients 1 >/dev/null	# warm-up
	for n in 1 2; do
		res=$(run_clients "$n")
		if grep -q 'failed$' <<<"$res" && ! grep -q ' 0 failed$' <<<"$res"; then
			echo "$server, $n clients: calls failed:" >&2
			echo "$res" >&2
		fi
		rate=$(awk '/^timing:/ { s += $2 } END { printf "%.0f", s }' <<<"$res")
		p50=$(awk '/^timing:/ { gsub(",", ""); print $5 }' <<<"$res" | sort -n | tail -1)
		p99=$(awk '/^timing:/ { gsub(",", ""); print $8 }' <<<"$res" | sort -n | tail -1)
		rows+=("$(printf '%-10s %7d %12s %10s %10s' "$server" "$n" "$rate" "$p50" "$p99")")
	done
	d1=$(in_osnic "$bin/osnicctl" -j stats | jq '.rx.rpc_delivered')
	rows+=("$(printf '%-10s   (calls delivered by XDP: %d)' "$server" $((d1 - d0)))")
	kill -KILL "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	sleep 0.2
done

{
	echo "NIS YPPROC_MATCH, random keys of a $KEYS-entry map, $CALLS calls per client,"
	echo "one call in flight per client (osnic-nis-client -T); p50/p99: the worst client's."
	printf '%-10s %7s %12s %10s %10s\n' server clients calls/s "p50 us" "p99 us"
	printf '%s\n' "${rows[@]}"
} | tee "$out"
