#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run every integration script (each creates and removes its own network
# namespaces) and print the total as `integration: N passed, N failed`.
# Exit non-zero if any check failed or any script failed to report.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
total_p=0 total_f=0 rc=0

# ../install/install_test: make install into a DESTDIR, an application
# built against it, make uninstall.
for t in ctl hostile_ports hostile_authz demo_tirpc demo_socket demo_osnic local_addrs demo_script sched bench_smoke napi_placement osnic_run hostile_rings ../install/install_test; do
	echo "=== integration: $t"
	log=$(mktemp)
	bash "$here/$t.sh" 2>&1 | tee "$log"
	trc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	rm -f "$log"
	if [ -z "$line" ]; then
		echo "=== integration: $t ended without a result line (exit $trc)"
		total_f=$((total_f + 1))
		rc=1
		continue
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed}
	total_p=$((total_p + p))
	total_f=$((total_f + f))
	[ "$trc" = 0 ] && [ "$f" = 0 ] || rc=1
done
echo "integration: $total_p passed, $total_f failed"
exit $rc
