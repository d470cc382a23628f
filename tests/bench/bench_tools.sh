#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench's post-processing on made-up results whose figures are known:
# bench/summary.py (figures, ratios against each baseline, targets),
# bench/plots.sh (the PNGs) and bench/nis_summary.py (the NIS table). The
# load runs themselves are covered by tests/integration/bench_smoke.sh.
# Then, as root, a tiny sweep of osnic-xdp-cost, whose own counter checks
# must pass, and must fail on a case timed off its path. Prints
# `bench tools: N passed, N failed`.
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

# A row of results.csv: label mode rate sent answered loss tput p50 p99
# server_cpu_s [napi_cpu_s (0) client_cpu_busy (0.5)].
row() {
	printf '%s,%s,%s,1,32,1,16,3.00,%s,%s,0,0,%s,%s,%s,%s,%s,%s,1.0,%s,1.0,%s,%s,%s\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$9" "$9" "${10}" "${10}" "${11:-0}" "${12:-0.5}"
}
header=label,mode,offered_rate,threads,outstanding,proc,size,duration_s,sent,answered,bad,late,loss,throughput,p50_us,p99_us,p999_us,max_us,mean_us,server_cpu_s,cpu_us_per_call,stat_cpu_s
{
	echo "$header,napi_cpu_s,client_cpu_busy"
	# The ceiling: 300000 calls/s, its client 97 % busy.
	row xdp-ceiling/null/max closed 0 900000 900000 0 300000 50 100 0.9 0.9 0.97
	# reuseport with osnic's XDP attached (maximum only).
	row reuseport-xdp/echo16/max closed 0 450000 450000 0 150000 80 200 3.0 0.9 0.3
	for wl in echo16 echo1k; do
		row reuseport/$wl/max closed 0 600000 600000 0 200000 80 200 3.0
		row reuseport/$wl/load50 open 100000 300000 300000 0 100000 60 1000 1.5
		row osnic/$wl/max closed 0 720000 720000 0 240000 70 150 1.8 0.72 0.95
		row osnic/$wl/load50 open 100000 300000 300000 0 100000 40 700 1.2
		row tirpc/$wl/max closed 0 300000 300000 0 100000 90 300 3.0
		row busypoll/$wl/max closed 0 660000 660000 0 220000 30 90 3.0
		row afxdp/$wl/max closed 0 750000 750000 0 250000 25 80 3.0
		# p50 at 25 % load: osnic 36 us against busypoll's 30 (1.2).
		row osnic/$wl/load25 open 50000 150000 150000 0 50000 36 100 0.6
		row busypoll/$wl/load25 open 50000 150000 150000 0 50000 30 90 1.5
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
printf 'napi,threaded\nbaseline_xdp,none\nclient_cpus,1\nloadgen_threads,1\n' >"$tmp/setup.csv"
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
expect "the baseline with XDP attached gets its own rows" 0.750 \
	"$(field reuseport-xdp echo16 max_throughput ratio_vs_reuseport)"
expect "throughput as a fraction of the XDP ceiling" 0.8 \
	"$(field osnic echo16 frac_of_xdp_ceiling value)"
expect "... for a baseline" 0.5 "$(field reuseport-xdp echo16 frac_of_xdp_ceiling value)"
expect "the NAPI kthread's CPU per call alone" 1 "$(field osnic echo16 napi_cpu_s_per_Mcall_max value)"
expect "... within the server's CPU per call" 2.5 "$(field osnic echo16 cpu_s_per_Mcall_max value)"
expect "the client's busy fraction at maximum load" 0.95 "$(field osnic echo16 client_busy_max value)"
expect "the ceiling is no server of its own" "" "$(field xdp-ceiling null max_throughput value)"
t=$(grep -E '^workload +metric ' "$tmp/summary.txt")
[[ -n $t && $t != *xdp-ceiling* ]] && pass "the ceiling is no column of the table" ||
	fail "the ceiling is no column of the table" "$t"
grep -q '^XDP ceiling (NULL answered by XDP_TX alone, no thread woken): 300000 calls/s, client-limited' \
	"$tmp/summary.txt" && pass "summary.txt: the ceiling, client-limited" ||
	fail "summary.txt: the ceiling, client-limited" "$(grep -i ceiling "$tmp/summary.txt")"
t=$(grep -E '^  osnic +echo16 ' "$tmp/summary.txt")
[[ $t =~ 240000\ +0\.80\ +1\ +95%\ +client-limited$ ]] &&
	pass "a client-limited run is marked (95 % busy)" ||
	fail "a client-limited run is marked (95 % busy)" "$t"
t=$(grep -E '^  reuseport-xdp +echo16 ' "$tmp/summary.txt")
[[ $t =~ 150000\ +0\.50\ +2\ +30%\ +-$ ]] &&
	pass "a run with an idle client is not marked" || fail "a run with an idle client is not marked" "$t"
grep -q '^baselines (tirpc, reuseport, busypoll): no XDP on the server veth (GRO on); \*-xdp: ' \
	"$tmp/summary.txt" && pass "summary.txt says which baselines the table uses" ||
	fail "summary.txt says which baselines the table uses" "$(head -3 "$tmp/summary.txt")"
grep -q '^NAPI: threaded' "$tmp/summary.txt" && pass "summary.txt names the NAPI placement" ||
	fail "summary.txt names the NAPI placement"
grep -q '^| server | workload | max calls/s | of ceiling |' "$tmp/summary.md" &&
	pass "summary.md has the closed-loop limits table" || fail "summary.md has the closed-loop limits table"

# target REGEX: a line of summary.txt's targets.
target() { grep -E "$1" "$tmp/summary.txt" | head -1; }
t=$(target '^  echo16 throughput vs reuseport')
[[ $t == *"goal >= 1.5"* && $t == *"osnic 1.20 MISSED"* && $t == *"osnic-poll 1.10 MISSED"* ]] &&
	pass "throughput target against reuseport (1.5): missed at 1.2 and 1.1" ||
	fail "throughput target against reuseport (1.5): missed at 1.2 and 1.1" "$t"
t=$(target '^  echo16 throughput vs tirpc')
[[ $t == *"goal >= 2"* && $t == *"osnic 2.40 met"* && $t == *"osnic-poll 2.20 met"* ]] &&
	pass "throughput target against tirpc (2): met at 2.4 and 2.2" ||
	fail "throughput target against tirpc (2): met at 2.4 and 2.2" "$t"
t=$(target '^  echo16 p50 at 25% load vs busypoll')
[[ $t == *"goal <= 1.2"* && $t == *"osnic 1.20 met"* && $t == *"osnic-poll - MISSED"* ]] &&
	pass "p50 target against busypoll: met at exactly 1.2, not measured is missed" ||
	fail "p50 target against busypoll: met at exactly 1.2, not measured is missed" "$t"
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
expect "throughput.dat: the five servers, then the variants, not the ceiling" \
	"workload osnic tirpc reuseport busypoll afxdp osnic-poll reuseport-xdp" "$(head -1 "$tmp/throughput.dat")"
expect "throughput.dat: echo16 row" "echo16 240000 100000 200000 220000 250000 220000 150000" \
	"$(grep '^echo16' "$tmp/throughput.dat")"
expect "cpu-per-call.dat: NAPI and the rest, s per million calls" "server napi rest
osnic 1.000 1.500
tirpc 0.000 10.000
reuseport 0.000 5.000
busypoll 0.000 4.545
afxdp 0.000 4.000
osnic-poll 0.000 3.636
reuseport-xdp 2.000 4.667" "$(cat "$tmp/cpu-per-call.dat")"
for png in throughput cpu-per-call latency-cdf-echo16 bimodal-p99; do
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

echo "==> osnic-xdp-cost (a tiny sweep)"
# The tool checks, for every measurement, that each run moved exactly the
# receive counter of its case (delivered, nullproc, proc_unavail,
# not_listened) and its steering path's idle count, and exits 1 otherwise.
xdp_cost=${BUILD:-$top/build}/bin/osnic-xdp-cost
case $xdp_cost in /*) ;; *) xdp_cost=$top/$xdp_cost ;; esac
if [ "$(id -u)" != 0 ]; then
	echo "skip osnic-xdp-cost: needs root (BPF_PROG_TEST_RUN)"
elif [ ! -x "$xdp_cost" ]; then
	fail "osnic-xdp-cost is built" "$xdp_cost missing"
else
	tiny=(--services 1,3 --workers 1,3 --runs 3 --repeat 100 --singles 20 --rounds 1)
	if out=$("$xdp_cost" "${tiny[@]}" --csv "$tmp/xdp_cost.csv" 2>&1); then
		pass "osnic-xdp-cost runs, every case on its path"
	else
		fail "osnic-xdp-cost runs, every case on its path" "$out"
	fi
	expect "... the closing line counts no failed check" 1 \
		"$(grep -c 'verdict checks: 0 failed$' <<<"$out")"
	# 2 service points x (3 delivered states + 3 other cases), 2 worker points x 3 states.
	expect "... xdp_cost.csv: a header and 18 figures" 19 "$(wc -l <"$tmp/xdp_cost.csv")"
	expect "... a figure per case and state" \
		"delivered/idle delivered/idle-local delivered/running not_served nullproc proc_unavail" \
		"$(awk -F, 'NR > 1 { print $4 ($5 == "" ? "" : "/" $5) }' "$tmp/xdp_cost.csv" |
			sort -u | tr '\n' ' ' | sed 's/ $//')"
	expect "... every figure above zero" "" \
		"$(awk -F, 'NR > 1 && !($6 > 0) { print }' "$tmp/xdp_cost.csv")"
	grep -qE '^  delivered call <= 250 ns .* (met|MISSED)$' <<<"$out" &&
		pass "... prints the delivered target" || fail "... prints the delivered target" "$out"
	# Answered calls rewrite the frame into the reply in place: timed with
	# repeat runs, every run after the first is a datagram to the client's
	# port. The check must catch that.
	out=$("$xdp_cost" "${tiny[@]}" --services 1 --workers 1 --repeat-answered 2>&1)
	rc=$?
	[ "$rc" = 1 ] && grep -q 'nullproc, 1 services, 1 workers: counter not_listened moved' <<<"$out" &&
		pass "... a case off its path fails the run" ||
		fail "... a case off its path fails the run" "exit $rc: $out"
fi

echo "==> bench/nis_summary.py"
# A row of nis.csv: label throughput p50 p99 lost wrong server_cpu_s_per_M stat_cpu_s_per_M
# (offered rate: half the closed-loop figure in the label's round).
nrow() {
	printf '%s,x,32,%s,3.000,1000,1000,0,0,%s,%s,%s,%s,%s,1,1,3.00,3.00,%s,%s\n' \
		"$1" "${9:-0}" "$5" "$6" "$2" "$3" "$4" "$7" "$8"
}
{
	echo label,mode,outstanding,offered_rate,duration_s,sent,found,missing,failed,lost,wrong,throughput,p50_us,p99_us,p999_us,max_us,server_cpu_s,stat_cpu_s,server_cpu_s_per_M,stat_cpu_s_per_M
	# Two rounds: the medians are the means of the two.
	nrow tirpc/closed/1 80000 400 600 0 0 16 17
	nrow tirpc/closed/2 60000 400 600 0 0 14 15
	nrow tirpc/open50/1 40000 80 200 0 0 20 21 40000
	nrow tirpc/open50/2 30000 80 200 0 0 20 21 30000
	nrow tirpc/serial/1 15000 60 100 0 0 30 nan
	nrow osnic-run/closed/1 105000 300 500 0 0 11 13
	nrow osnic-run/closed/2 105000 300 500 2 0 11 13
	nrow osnic-run/open50/1 52500 70 160 0 0 18 nan 52500
	nrow osnic-run/open50/2 52500 70 160 0 0 18 nan 52500
	nrow osnic-run/serial/1 15000 60 120 0 0 30 nan
} >"$tmp/nis.csv"
if out=$(python3 "$top/bench/nis_summary.py" "$tmp/nis.csv" 1 2>&1); then
	pass "nis_summary.py runs"
else
	fail "nis_summary.py runs" "$out"
fi
# nis_row METRIC: that row of the table, its cells separated by |.
nis_row() { grep -F "| $1 |" <<<"$out" | head -1 | sed 's/ *| */|/g'; }
expect "throughput: medians, ratio 1.50 met" "|closed loop, 32 outstanding: lookups/s|70,000|105,000|1.50|≥ 1.50: met|" \
	"$(nis_row "closed loop, 32 outstanding: lookups/s")"
expect "p99 at 50 %: ratio 0.80 met" "|open 50 %: p99 us|200|160|0.80|≤ 0.80: met|" "$(nis_row "open 50 %: p99 us")"
expect "process CPU: ratio 0.73 met" "|closed: server CPU (ypserv, osnicd, NAPI) s per M lookups|15.0|11.0|0.73|≤ 0.75: met|" \
	"$(nis_row "closed: server CPU (ypserv, osnicd, NAPI) s per M lookups")"
expect "CPU 1 busy: ratio 0.81 missed" "|closed: CPU 1 busy s per M lookups|16.0|13.0|0.81|≤ 0.75: MISSED|" \
	"$(nis_row "closed: CPU 1 busy s per M lookups")"
expect "a figure not measured (nan) has no ratio" "|open 50 %: CPU 1 busy s per M lookups|21.0|-|-||" \
	"$(nis_row "open 50 %: CPU 1 busy s per M lookups")"
expect "lost and wrong are totals" "|calls lost / wrong values (all runs)|0 / 0|2 / 0|||" \
	"$(nis_row "calls lost / wrong values (all runs)")"
# One wrong value voids the targets, even a met one.
sed -i 's|^\(osnic-run/serial/1,.*\),0,0,\(15000\)|\1,0,1,\2|' "$tmp/nis.csv"
out=$(python3 "$top/bench/nis_summary.py" "$tmp/nis.csv" 1 2>&1)
expect "a wrong value is counted" "|calls lost / wrong values (all runs)|0 / 0|2 / 1|||" \
	"$(nis_row "calls lost / wrong values (all runs)")"
expect "... and voids a target met otherwise" "|open 50 %: p99 us|200|160|0.80|≤ 0.80: MISSED|" \
	"$(nis_row "open 50 %: p99 us")"

echo "==> results.csv without the NAPI and client columns (older runs)"
mkdir -p "$tmp/old"
{
	echo "$header"
	grep -E '^(osnic|reuseport)/echo16/' "$tmp/results.csv" | cut -d, -f1-22
} >"$tmp/old/results.csv"
if out=$(python3 "$top/bench/summary.py" "$tmp/old" 2>&1) && bash "$top/bench/plots.sh" "$tmp/old" >/dev/null 2>&1; then
	pass "summary.py and plots.sh run on them"
else
	fail "summary.py and plots.sh run on them" "$out"
fi
grep -q '^XDP ceiling: not measured' "$tmp/old/summary.txt" && pass "... no ceiling: said so" ||
	fail "... no ceiling: said so" "$(cat "$tmp/old/summary.txt")"

echo
echo "bench tools: $passed passed, $failed failed"
[ "$failed" = 0 ]
