#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# extract-vmlinux.sh BZIMAGE OUT: write the uncompressed vmlinux ELF (with its
# .BTF section) contained in an x86 bzImage to OUT.
#
# The boot protocol header gives the compressed payload's place: setup_sects
# at 0x1f1 (the protected-mode kernel starts at (setup_sects + 1) * 512),
# payload_offset at 0x248 and payload_length at 0x24c, relative to that start.
# The payload's magic says which decompressor to use.
set -euo pipefail

[ $# = 2 ] || { echo "usage: $0 BZIMAGE OUT" >&2; exit 2; }
img=$1 out=$2

u8() { od -An -tu1 -j "$1" -N1 "$img" | tr -d ' '; }
u32() { od -An -tu4 -j "$1" -N4 "$img" | tr -d ' '; }

[ "$(od -An -c -j 0x202 -N4 "$img" | tr -d ' ')" = HdrS ] ||
	{ echo "$img: not an x86 bzImage (no HdrS signature)" >&2; exit 1; }

setup_sects=$(u8 $((0x1f1)))
[ "$setup_sects" = 0 ] && setup_sects=4
base=$(((setup_sects + 1) * 512))
off=$((base + $(u32 $((0x248)))))
len=$(u32 $((0x24c)))

magic=$(od -An -tx1 -j "$off" -N4 "$img" | tr -d ' ')
case $magic in
28b52ffd) dec=(zstd -dcq) ;;
fd377a58) dec=(xz -dc) ;;
1f8b*) dec=(gzip -dc) ;;
*) echo "$img: unknown payload compression (magic $magic)" >&2; exit 1 ;;
esac

tmp=$out.tmp
# The payload may carry trailing bytes (the size field); the decompressors
# stop at the end of their frame, so ignore their complaint about it.
tail -c +$((off + 1)) "$img" | head -c "$len" | "${dec[@]}" >"$tmp" 2>/dev/null || true
[ "$(head -c 4 "$tmp" | od -An -c | tr -d ' ')" = '177ELF' ] ||
	{ rm -f "$tmp"; echo "$img: decompressed payload is not an ELF file" >&2; exit 1; }
mv "$tmp" "$out"
