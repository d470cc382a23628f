#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# require-root.sh WHAT: fail loudly (never skip) when not root.
[ "$(id -u)" = 0 ] && exit 0
echo "error: $1 need root (BPF_PROG_TEST_RUN, namespaces); run as root" >&2
exit 1
