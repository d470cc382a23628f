#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo service on the osnic runtime without osnicd
# (osnic-demo-server --no-daemon): every call reaches the workers through
# the service's SO_REUSEPORT sockets, the path XDP leaves to the kernel
# (fragments, large arguments). Run twice: with the native osnic handlers,
# and with rpcgen's dispatch function through the SVCXPRT adapter. The
# same checks as demo_tirpc.sh, plus what osnic answers better.
#
# Needs root. BUILD= selects the build directory.
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=sock
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

trap common_cleanup EXIT
trap 'exit 130' INT TERM

require "$bin/osnic-demo-server" "$bin/osnic-demo-client"
setup_netns
ensure_rpcbind

for dispatch in native rpcgen; do
	say "osnic-demo-server --no-daemon --dispatch $dispatch --workers 3 in $srv"
	start_server --no-daemon --dispatch "$dispatch" --workers 3 || continue
	rpcbind_checks
	client_checks
	raw_checks
	raw_checks_osnic
	say "stopping the server (SIGTERM)"
	if stop_server; then pass "server exits 0 on SIGTERM"; else fail "server exits 0 on SIGTERM" "$(cat "$tmp/server.err")"; fi
	rpcbind_gone_check
done

finish
