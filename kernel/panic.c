/* The end of the line for a broken core invariant: say where and why, show
 * the caller's context and a frame-pointer backtrace, stop this CPU.
 * (A later issue keeps the debug shell reachable after a panic.) */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "panic.h"
#include "x86.h"

_Noreturn void cpu_halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void backtrace(void)
{
	const uint64_t *frame = __builtin_frame_address(0);

	for (int depth = 0; frame && depth < 16; depth++) {
		/* Frames live on the core's stacks, in the upper half. */
		if ((uintptr_t)frame < 0xFFFF800000000000ULL || ((uintptr_t)frame & 7))
			break;
		log_error("  called from %016lx", frame[1]);
		frame = (const uint64_t *)frame[0];
	}
}

_Noreturn void panic_at(const char *func, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	__asm__ volatile("cli");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("PANIC in %s: %s", func, msg);
	log_error("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx", read_cr0(), read_cr2(),
		  read_cr3(), read_cr4());
	backtrace();
	log_error("the core has stopped on this CPU");
	cpu_halt_forever();
}

/* libc's failure hooks, for code shared with the host tests. */
_Noreturn void __assert_fail_shoji(const char *expr, const char *file, int line, const char *func)
{
	panic_at(func, "assertion '%s' failed at %s:%d", expr, file, line);
}

_Noreturn void abort(void)
{
	panic("abort() called");
}
