/* unwind.h - turns a thread's user registers and a copy of the top of its
 * user stack (TL_STACK_RAW, taken by the BPF side when it blocked) into the
 * list of its return addresses, with libdwfl and the CFI (.eh_frame,
 * .debug_frame) of the files the process maps, while it is alive.
 *
 * Why here, at record time, and not in `report`: the raw copy is ~8 KiB per
 * blocking and differs almost every time (stacks hold changing data), so
 * only the unwound addresses can be interned and written once per distinct
 * stack; the names are found later, offline. The process's modules are
 * read from /proc/PID/maps once and kept until it execs (or a pc falls
 * outside them: a library loaded since). */
#ifndef TL_UNWIND_H
#define TL_UNWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bpf/tl_abi.h"

struct tl_unwinder;

struct tl_unwinder *tl_unwinder_new(void);
void tl_unwinder_free(struct tl_unwinder *u);
/* Drops what is known of process tgid (after an exec, or its exit). */
void tl_unwinder_forget(struct tl_unwinder *u, uint32_t tgid);

/* Unwinds thread tid of process tgid, in address space aspace (an
 * identity that changes with exec and PID reuse: what was read of the
 * process is read again when it changes; 0 = unknown, never changes):
 * regs in the DWARF order of tl_abi.h,
 * stack = len bytes copied from regs[TL_UREG_SP] up. Writes at most max
 * addresses to pcs: the pc first, then each caller's return address.
 * Returns how many (0 only when the pc is 0); *cut tells whether unwinding
 * stopped before the outermost frame (end of the copy, no CFI, ...). */
int tl_unwind(struct tl_unwinder *u, uint32_t tgid, uint32_t tid, uint64_t aspace,
	      const uint64_t regs[TL_UREGS], const void *stack, size_t len,
	      uint64_t *pcs, int max, bool *cut);
/* The stack words (address, value) the last tl_unwind's result depends on,
 * with the pc, sp and bp: valid until the next call. Returns how many, or
 * -1 when that is not known (no CFI, too many words, no frames). */
int tl_unwind_reads(const struct tl_unwinder *u, const uint64_t (**reads)[2]);

#endif
