/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Embed a BPF object file in the loader, as <OBJ_SYM>_bpf_obj[] with its
 * size in <OBJ_SYM>_bpf_obj_size, so the daemon needs no file at run time.
 */
#define _CAT(a, b) a##b
#define CAT(a, b) _CAT(a, b)
#define SYM CAT(OBJ_SYM, _bpf_obj)
#define SYM_SIZE CAT(OBJ_SYM, _bpf_obj_size)

	.section .rodata
	.balign 8
	.global SYM
	.type SYM, @object
SYM:
	.incbin OBJ_FILE
	.set CAT(OBJ_SYM, _bpf_obj_end), .
	.size SYM, . - SYM
	.balign 8
	.global SYM_SIZE
	.type SYM_SIZE, @object
SYM_SIZE:
	.quad CAT(OBJ_SYM, _bpf_obj_end) - SYM
	.size SYM_SIZE, 8
	.section .note.GNU-stack,"",@progbits
