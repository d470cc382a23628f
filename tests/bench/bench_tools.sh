#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench's post-processing on made-up results whose figures are known:
# bench/summary.py (figures, ratios against each baseline, targets) and
# bench/plots.sh (the PNGs). The load runs themselves are covered by
# tests/integration/bench_smoke.sh. Prints `bench tools: N passed, N failed`.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/osnic-bench-tools.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

pass() { passed=$((passed + 1)); printf 'ok   %s\n' "$1"; }
fail() {
	failed=$((failed + 1))
	printf 'FAIL %s\n' "$1"
	[ -n "${2:-}" ] && sed 's/^/     | /' <<<"$2" | head -20
	return 0
}
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "want '$2', got '$3'"; fi; }

# A row of results.csv: label mode rate sent answered loss tput p50 p99 server_cpu_s.
row() {
	printf '%s,%s,%s,1,32,1,16,3.00,%s,%s,0,0,%s,%s,%s,%s,%s,%s,1.0,%s,1.0,%s\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$9" "$9" "${10}" "${10}"
}
{
	echo label,mode,offered_rate,threads,outstanding,proc,size,duration_s,sent,answered,bad,late,loss,throughput,p50_us,p99_us,p999_us,max_us,mean_us,server_cpu_s,cpu_us_per_call,stat_cpu_s
	for wl in echo16 echo1k; do
		row reuseport/$wl/max closed 0 600000 600000 0 200000 80 200 3.0
		row reuseport/$wl/load50 open 100000 300000 300000 0 100000 60 1000 1.5
		row osnic/$wl/max closed 0 720000 720000 0 240000 70 150 1.8
		row osnic/$wl/load50 open 100000 300000 300000 0 100000 40 700 1.2
		row tirpc/$wl/max closed 0 300000 300000 0 100000 90 300 3.0
		row busypoll/$wl/max closed 0 660000 660000 0 220000 30 90 3.0
		row afxdp/$wl/max closed 0 750000 750000 0 250000 25 80 3.0
	done
	row reuseport/bimodal/max closed 0 300000 300000 0 100000 80 2000 3.0
	row reuseport/bimodal/load50 open 50000 150000 150000 0 50000 60 900 1.5
	row reuseport/bimodal/sweep65 open 65000 195000 195000 0 65000 60 1500 1.5
	row osnic/bimodal/max closed 0 330000 330000 0 110000 70 1800 2.0
	row osnic/bimodal/load50 open 50000 150000 150000 0 50000 40 600 1.0
	# Under 1 ms but with 2 % loss: does not count.
	row osnic/bimodal/sweep80 open 80000 240000 235200 0.02 78400 50 800 1.0
	row osnic/bimodal/sweep65 open 65000 195000 195000 0 65000 45 990 1.0
	row osnic/bimodal/sweep95 open 95000 285000 285000 0 95000 60 4000 1.0
	row tirpc/bimodal/max closed 0 150000 150000 0 50000 90 3000 3.0
	row busypoll/bimodal/max closed 0 300000 300000 0 100000 30 500 3.0
	row afxdp/bimodal/max closed 0 420000 420000 0 140000 30 500 3.0
	row osnic-poll/echo16/max closed 0 660000 660000 0 220000 30 90 2.4
} >"$tmp/results.csv"
printf 'reuseport,0.20\nosnic,0.00\ntirpc,0.00\nbusypoll,95.40\nosnic-poll,0.50\nafxdp,99.80\n' >"$tmp/idle.csv"
mkdir -p "$tmp/cdf"
for s in osnic reuseport; do
	printf '10 0.1\n50 0.5\n100 0.99\n200 1\n' >"$tmp/cdf/$s-echo16-50.dat"
done

echo "==> bench/summary.py"
if out=$(python3 "$top/bench/summary.py" "$tmp" 2>&1); then
	pass "summary.py runs"
else
	fail "summary.py runs" "$out"
fi
# field SERVER WORKLOAD METRIC COLUMN: one cell of summary.csv.
field() {
	awk -F, -v s="$1" -v w="$2" -v m="$3" -v c="$4" '
		{ sub(/\r$/, "") }	# csv.writer ends lines with CRLF
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == s && $2 == w && $3 == m { print $col[c] }' "$tmp/summary.csv"
}
expect "osnic echo16 throughput" 2.4e+05 "$(field osnic echo16 max_throughput value)"
expect "... against reuseport" 1.200 "$(field osnic echo16 max_throughput ratio_vs_reuseport)"
expect "... against tirpc" 2.400 "$(field osnic echo16 max_throughput ratio_vs_tirpc)"
expect "... against busypoll" 1.091 "$(field osnic echo16 max_throughput ratio_vs_busypoll)"
expect "... against afxdp" 0.960 "$(field osnic echo16 max_throughput ratio_vs_afxdp)"
expect "afxdp's idle CPU" 99.8 "$(field afxdp idle idle_cpu_pct value)"
expect "CPU s per million calls at max load" 2.5 "$(field osnic echo1k cpu_s_per_Mcall_max value)"
expect "... against reuseport" 0.500 "$(field osnic echo1k cpu_s_per_Mcall_max ratio_vs_reuseport)"
expect "CPU s per million calls at 50 % load" 4 "$(field osnic echo16 cpu_s_per_Mcall_at_50 value)"
expect "p99 at 50 % load against reuseport" 0.700 "$(field osnic echo16 p99_us_at_50 ratio_vs_reuseport)"
expect "bimodal at p99 <= 1 ms: the best run under the bound without loss" \
	6.5e+04 "$(field osnic bimodal tput_at_p99_le_1ms value)"
expect "... against reuseport's (its sweep65 is over 1 ms)" 1.300 \
	"$(field osnic bimodal tput_at_p99_le_1ms ratio_vs_reuseport)"
expect "bimodal at p99 <= 5 ms" 9.5e+04 "$(field osnic bimodal tput_at_p99_le_5ms value)"
expect "a ratio with no baseline figure is left empty" "" \
	"$(field osnic echo16 p99_us_at_50 ratio_vs_tirpc)"
expect "idle CPU" 0 "$(field osnic idle idle_cpu_pct value)"
expect "a variant gets its own rows" 1.100 "$(field osnic-poll echo16 max_throughput ratio_vs_reuseport)"

# target REGEX: a line of summary.txt's targets.
target() { grep -E "$1" "$tmp/summary.txt" | head -1; }
t=$(target '^  echo16 throughput vs reuseport')
[[ $t == *"osnic 1.20 met"* && $t == *"osnic-poll 1.10 MISSED"* ]] &&
	pass "throughput target: met at exactly 1.2, missed at 1.1" ||
	fail "throughput target: met at exactly 1.2, missed at 1.1" "$t"
t=$(target '^  echo16 throughput vs afxdp')
[[ $t == *"osnic 0.96 met"* ]] && pass "throughput target against afxdp met at 0.96" ||
	fail "throughput target against afxdp met at 0.96" "$t"
t=$(target '^  bimodal throughput vs afxdp')
[[ $t == *"osnic 0.79 MISSED"* ]] && pass "throughput target against afxdp missed at 0.79" ||
	fail "throughput target against afxdp missed at 0.79" "$t"
t=$(target '^  bimodal throughput at p99 <= 1 ms')
[[ $t == *"osnic 1.30 MISSED"* ]] && pass "bimodal target missed at 1.3" ||
	fail "bimodal target missed at 1.3" "$t"
t=$(target '^  echo1k CPU per call \(max load\)')
[[ $t == *"osnic 0.50 met"* ]] && pass "CPU target met at 0.5" || fail "CPU target met at 0.5" "$t"
t=$(target '^  idle CPU')
[[ $t == *"osnic 0.00 met"* && $t == *"osnic-poll 0.50 met"* ]] && pass "idle target" ||
	fail "idle target" "$t"
t=$(target '^  echo16 p99 at 50% load')
[[ $t == *"osnic-poll - MISSED"* ]] && pass "a figure not measured is a miss, not a pass" ||
	fail "a figure not measured is a miss, not a pass" "$t"
grep -q '^| target | goal | osnic | osnic-poll |$' "$tmp/summary.md" &&
	pass "summary.md has the targets table" || fail "summary.md has the targets table"

echo "==> bench/plots.sh"
if out=$(bash "$top/bench/plots.sh" "$tmp" 2>&1); then
	pass "plots.sh runs"
else
	fail "plots.sh runs" "$out"
fi
expect "throughput.dat: the five servers, then the variant" \
	"workload osnic tirpc reuseport busypoll afxdp osnic-poll" "$(head -1 "$tmp/throughput.dat")"
expect "throughput.dat: echo16 row" "echo16 240000 100000 200000 220000 250000 220000" \
	"$(grep '^echo16' "$tmp/throughput.dat")"
for png in throughput latency-cdf-echo16 bimodal-p99; do
	if [ "$(head -c 8 "$tmp/$png.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; then
		pass "$png.png is a PNG"
	else
		fail "$png.png is a PNG"
	fi
done
[ ! -e "$tmp/latency-cdf-echo1k.png" ] && pass "no CDF plot without CDF data" ||
	fail "no CDF plot without CDF data"
expect "bimodal-p99 data: open-loop throughput and p99, by rate" "50000 900
65000 1500" "$(cat "$tmp/bimodal-reuseport.dat")"

echo
echo "bench tools: $passed passed, $failed failed"
[ "$failed" = 0 ]
