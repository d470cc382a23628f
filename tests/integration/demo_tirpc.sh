#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo service on libtirpc's svc_run (osnic-demo-server --transport
# tirpc), called from another network namespace over veth: rpcbind
# registration and lookups with rpcinfo, every procedure with the demo
# client, a few hand-made calls, and a clean exit that unregisters.
# This is the reference the osnic transport (demo_osnic.sh) is held to.
#
# Needs root. BUILD= selects the build directory (default build/).
# Ends with "N passed, N failed"; exits non-zero if anything failed.
set -uo pipefail

name=tirpc
# shellcheck source=tests/integration/demo_common.sh
source "$(dirname "$0")/demo_common.sh"

trap common_cleanup EXIT
trap 'exit 130' INT TERM

require "$bin/osnic-demo-server" "$bin/osnic-demo-client"
setup_netns
ensure_rpcbind

say "osnic-demo-server --transport tirpc in $srv"
if start_server --transport tirpc; then
	rpcbind_checks
	client_checks
	raw_checks

	say "stopping the server (SIGTERM)"
	if stop_server; then pass "server exits 0 on SIGTERM"; else fail "server exits 0 on SIGTERM" "$(cat "$tmp/server.err")"; fi
	rpcbind_gone_check
fi

finish
