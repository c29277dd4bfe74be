/* stacks.h - `record -g`: turns each TL_STACK_RAW of the BPF side into what
 * the file keeps: the user stack unwound now (unwind.h), interned with the
 * kernel frames, so a stack seen before costs one TL_STACK_REF and a new
 * one a TL_STACK; and, before the first stack that needs it, a TL_KSYM for
 * each kernel function, from /proc/kallsyms as it is now (addresses change
 * with every boot, and reading them needs root), so `report` names kernel
 * frames without either. */
#ifndef TL_STACKS_H
#define TL_STACKS_H

#include <stdint.h>
#include "bpf/tl_abi.h"

typedef int tl_stack_emit_fn(void *ctx, const struct tl_hdr *rec);

struct tl_stacks;

struct tl_stacks_stats {
	uint64_t raw;        /* TL_STACK_RAW taken in */
	uint64_t stacks;     /* distinct stacks (TL_STACK written) */
	uint64_t user_cut;   /* user stacks that stopped before the outermost frame */
	uint64_t ksyms;      /* kernel symbols read from /proc/kallsyms */
	uint64_t again;      /* raw stacks that were repeats (TL_RAW_F_AGAIN) */
	uint64_t again_lost; /* repeats whose stack was no longer known */
};

/* Reads /proc/kallsyms (after the BPF object is loaded, so its programs'
 * frames can be told and dropped). NULL on allocation failure; without
 * readable kernel addresses kernel frames are kept unnamed. */
struct tl_stacks *tl_stacks_new(void);
void tl_stacks_free(struct tl_stacks *s);
/* Process tgid has a new address space (exec, or a new process with a
 * PID used before): its next stacks are new ones. (The unwinder sees a
 * new address space by itself, from TL_STACK_RAW.aspace.) */
void tl_stacks_forget(struct tl_stacks *s, uint32_t tgid);
/* Process tgid is gone: the same, and what was kept to unwind it is freed. */
void tl_stacks_gone(struct tl_stacks *s, uint32_t tgid);
/* The two halves of the work, so the unwinding can happen as soon as a raw
 * stack is drained (its process may be gone 100 ms later, when records
 * leave the reorder window) and the interning in time order (ids must
 * appear in the file in order):
 * tl_stacks_unwind() unwinds raw into a TL_STACK_UNWOUND (a struct
 * tl_stack with id 0 and the kernel frames as taken), valid until the
 * next call; NULL when raw is too short for itself. */
const struct tl_stack *tl_stacks_unwind(struct tl_stacks *s,
					const struct tl_stack_raw *raw);
/* Hands emit the records for one unwound stack (TL_KSYMs, then a TL_STACK
 * or a TL_STACK_REF), stamped with its time, CPU and thread. Returns 0 or
 * the first error of emit. */
int tl_stacks_intern(struct tl_stacks *s, const struct tl_stack *u,
		     tl_stack_emit_fn *emit, void *ctx);
/* Both at once. */
int tl_stacks_on_raw(struct tl_stacks *s, const struct tl_stack_raw *raw,
		     tl_stack_emit_fn *emit, void *ctx);
void tl_stacks_stats(const struct tl_stacks *s, struct tl_stacks_stats *st);

#endif
