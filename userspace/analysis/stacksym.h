/* stacksym.h - names the frames of the recording's off-CPU stacks (record
 * -g), offline and without privileges: kernel frames from the TL_KSYMs
 * saved at record time, user frames with libdwfl from the process's
 * memory maps and build ids saved at record time and the binaries and
 * debug files on this machine (function, and file:line where DWARF is).
 * Each stack is named once and kept. */
#ifndef TL_STACKSYM_H
#define TL_STACKSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "symbolize.h"

struct tl_frame {
	uint64_t addr;
	bool kernel;
	bool named;          /* func is a name, not the address */
	bool inlined;        /* a call inlined into the frame after it: same
			      * address, file:line inside the inlined body */
	char func[128];      /* "pthread_mutex_lock", or "0x7f12..." */
	char file[96];       /* source file (base name), "" unknown */
	int line;            /* 0 unknown */
	char module[64];     /* "libc.so.6"; "" for the kernel or unknown */
};

/* One stack, named: nkern kernel frames then nuser user frames, each part
 * innermost first (as recorded); a user address inside inlined calls gives
 * a frame for each of them before the function's own. */
struct tl_named_stack {
	uint32_t id;
	size_t nkern, nuser;
	const struct tl_frame *f;
	bool user_cut;       /* the user part stops before its outermost frame */
};

struct tl_stacksym;

struct tl_stacksym *tl_stacksym_new(const struct tl_model *m);
void tl_stacksym_free(struct tl_stacksym *s);
/* Stack id named; NULL when the recording has no such stack (or out of
 * memory). Valid until tl_stacksym_free(). */
const struct tl_named_stack *tl_stacksym_get(struct tl_stacksym *s, uint32_t id);

/* The symbolizer it names user frames with, to name the objects waited on
 * from the same libdwfl sessions. */
struct tl_symbolizer *tl_stacksym_symbolizer(struct tl_stacksym *s);

/* The frame that says where the program waited: the first user frame
 * outside the library the stack blocked in (the caller of
 * pthread_mutex_lock, not glibc's lock wait), not an inlined copy; the
 * innermost user frame when the whole stack is in one module. NULL
 * without user frames. */
const struct tl_frame *tl_stack_call_site(const struct tl_named_stack *ns);

/* Kernel frames that say nothing about why a thread blocked: the scheduler
 * itself and the system call entry. */
bool tl_frame_is_plumbing(const struct tl_frame *f);

#endif
