#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: PNG plots of build/bench/ with gnuplot: maximum throughput per
# workload and server (with the XDP ceiling as a line), the server's CPU per
# call at maximum load (its NAPI kthread's part apart), latency CDFs at
# 25/50/75 % load per workload, and the bimodal p99 against the offered rate.
set -euo pipefail
out=$1
# The five servers, then the variants run (SERVERS=... osnic-poll osnic-nogso,
# reuseport-xdp ...); the XDP ceiling is a line, not a server.
servers="osnic tirpc reuseport busypoll afxdp"
for s in $(awk -F, 'NR > 1 { split($1, l, "/"); print l[1] }' "$out/results.csv" | sort -u); do
	[ "$s" = xdp-ceiling ] && continue
	case " $servers " in *" $s "*) ;; *) servers="$servers $s" ;; esac
done
# col NAME: a column of results.csv by its header name (empty: none).
col() { head -1 "$out/results.csv" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1 || true; }
ceiling=$(awk -F, '$1 == "xdp-ceiling/null/max" { print $14 }' "$out/results.csv")

# throughput.dat: workload, then one column per server.
{
	echo "workload $servers"
	for wl in echo16 echo1k bimodal; do
		printf '%s' "$wl"
		for s in $servers; do
			v=$(awk -F, -v l="$s/$wl/max" '$1 == l { print $14 }' "$out/results.csv")
			printf ' %s' "${v:-0}"
		done
		echo
	done
} >"$out/throughput.dat"

gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$out/throughput.png"
set title "Maximum throughput (closed loop, 1 server thread)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "calls/s"
set yrange [0:*]
set key top right
set grid ytics
$([ -n "$ceiling" ] && printf 'set arrow from graph 0, first %s to graph 1, first %s nohead dt 2 lw 2 lc rgb "red"\nset label "XDP ceiling: NULL answered by XDP_TX, %.0f calls/s" at graph 0.02, first %s offset 0,0.7 tc rgb "red"\nset yrange [0:%s * 1.4]\n' \
	"$ceiling" "$ceiling" "$ceiling" "$ceiling" "$ceiling")
plot for [c=2:$(($(wc -w <<<"$servers") + 1))] "$out/throughput.dat" using c:xtic(1) title columnheader(c)
GP

# cpu-per-call.dat: per server, CPU s per million calls at maximum load,
# ECHO 16 B: its NAPI kthread's part and the rest (process, osnicd).
napi_col=$(col napi_cpu_s)
{
	echo "server napi rest"
	for s in $servers; do
		awk -F, -v l="$s/echo16/max" -v n="${napi_col:-0}" '$1 == l && $10 > 0 {
			napi = n ? $n : 0
			printf "%s %.3f %.3f\n", l, napi * 1e6 / $10, ($20 - napi) * 1e6 / $10 }' \
			"$out/results.csv" | sed 's|/echo16/max||'
	done
} >"$out/cpu-per-call.dat"
if [ "$(wc -l <"$out/cpu-per-call.dat")" -gt 1 ]; then
	gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$out/cpu-per-call.png"
set title "Server CPU per call at maximum load, ECHO 16 B"
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.6
set ylabel "CPU s per million calls"
set yrange [0:*]
set xtics rotate by -30
set key top right
set grid ytics
plot "$out/cpu-per-call.dat" using 2:xtic(1) title "NAPI kthread (receive path)", "" using 3 title "server process (and osnicd)"
GP
fi

for wl in echo16 echo1k bimodal; do
	plots=
	# One colour per server, one dash type per load.
	for pct in 25 50 75; do
		i=0
		for s in $servers; do
			i=$((i + 1))
			f=$out/cdf/$s-$wl-$pct.dat
			[ -s "$f" ] || continue
			dt=$(( pct == 50 ? 1 : pct == 25 ? 3 : 2 ))
			plots="$plots${plots:+, }\"$f\" using 1:2 with lines lc $i dt $dt lw 2 title \"$s $pct%\""
		done
	done
	[ -n "$plots" ] || continue
	gnuplot <<GP
set terminal pngcairo size 900,550 noenhanced
set output "$out/latency-cdf-$wl.png"
set title "$wl: latency CDF at 25/50/75 % of the reuseport server's capacity (open loop)"
set logscale x
set xlabel "latency (us)"
set ylabel "fraction of calls"
set yrange [0:1]
set key bottom right
set grid
plot $plots
GP
done

# Bimodal p99 against throughput.
plots=
for s in $servers; do
	awk -F, -v s="$s" '$1 ~ "^"s"/bimodal/(load|sweep)" { print $14, $16 }' "$out/results.csv" |
		sort -n >"$out/bimodal-$s.dat"
	[ -s "$out/bimodal-$s.dat" ] &&
		plots="$plots${plots:+, }\"$out/bimodal-$s.dat\" using 1:2 with linespoints title \"$s\""
done
if [ -n "$plots" ]; then
	gnuplot <<GP
set terminal pngcairo size 900,500 noenhanced
set output "$out/bimodal-p99.png"
set title "Bimodal SPIN (99.5 % 5 us, 0.5 % 500 us): p99 against throughput"
set logscale y
set xlabel "answered calls/s"
set ylabel "p99 latency (us)"
set arrow from graph 0, first 1000 to graph 1, first 1000 nohead dt 2
set key top left
set grid
plot $plots
GP
fi
