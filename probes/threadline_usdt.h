/* threadline_usdt.h - mark user-level events the kernel cannot see, so that
 * threadline records them: coroutine switches, queue put/get with depth,
 * task begin/end, named critical sections, and free-form marks.
 *
 * Any program may include this header (it needs only <sys/sdt.h> from
 * systemtap-sdt-dev at build time, nothing at run time). Each macro is a
 * single no-op instruction plus an ELF note (provider "threadline") until a
 * tracer attaches a uprobe to it. Strings must be NUL-terminated; threadline
 * keeps their first 31 bytes.
 *
 *   THREADLINE_CORO_SWITCH(from_id, to_id, to_name)  control passes to a coroutine
 *   THREADLINE_QUEUE_PUT(queue_ptr, depth, name)     after a put; depth = items now
 *   THREADLINE_QUEUE_GET(queue_ptr, depth, name)     after a get; depth = items now
 *   THREADLINE_TASK_BEGIN(task_id, name)             a unit of work starts
 *   THREADLINE_TASK_END(task_id)                     ... and ends
 *   THREADLINE_SECTION_ENTER(section_ptr, name)      inside a critical section
 *   THREADLINE_SECTION_EXIT(section_ptr)
 *   THREADLINE_MARK(value, label)                    a point event with a value
 *
 * Define THREADLINE_NO_USDT before including to compile the marks away.
 */
#ifndef THREADLINE_USDT_H
#define THREADLINE_USDT_H

#if defined(THREADLINE_NO_USDT) || !defined(__linux__)
#define TL_USDT2(name, a, b) ((void)(a), (void)(b))
#define TL_USDT3(name, a, b, c) ((void)(a), (void)(b), (void)(c))
#else
/* Keep every probe argument in a register or an immediate: a memory operand
 * with an index register (e.g. 8@(%rax,%rbx,8)) cannot be read by a USDT
 * attacher, which then leaves that probe site unattached. */
#ifndef STAP_SDT_ARG_CONSTRAINT
#define STAP_SDT_ARG_CONSTRAINT nr
#endif
#include <sys/sdt.h>
#define TL_USDT2(name, a, b) DTRACE_PROBE2(threadline, name, a, b)
#define TL_USDT3(name, a, b, c) DTRACE_PROBE3(threadline, name, a, b, c)
#endif

#define THREADLINE_CORO_SWITCH(from_id, to_id, to_name) \
	TL_USDT3(coro_switch, (long)(from_id), (long)(to_id), (const char *)(to_name))
#define THREADLINE_QUEUE_PUT(queue_ptr, depth, name) \
	TL_USDT3(queue_put, (const void *)(queue_ptr), (long)(depth), (const char *)(name))
#define THREADLINE_QUEUE_GET(queue_ptr, depth, name) \
	TL_USDT3(queue_get, (const void *)(queue_ptr), (long)(depth), (const char *)(name))
#define THREADLINE_TASK_BEGIN(task_id, name) \
	TL_USDT2(task_begin, (long)(task_id), (const char *)(name))
#define THREADLINE_TASK_END(task_id) \
	TL_USDT2(task_end, (long)(task_id), (const char *)0)
#define THREADLINE_SECTION_ENTER(section_ptr, name) \
	TL_USDT2(section_enter, (const void *)(section_ptr), (const char *)(name))
#define THREADLINE_SECTION_EXIT(section_ptr) \
	TL_USDT2(section_exit, (const void *)(section_ptr), (const char *)0)
#define THREADLINE_MARK(value, label) \
	TL_USDT2(mark, (long)(value), (const char *)(label))

#endif
