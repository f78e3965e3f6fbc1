/* A broken invariant of the core itself.  Never for bad input from a guest
 * or a domain (STYLE.md 17): those get an error or fault their sender. */
#ifndef SHOJI_PANIC_H
#define SHOJI_PANIC_H

_Noreturn void panic_at(const char *func, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define panic(...) panic_at(__func__, __VA_ARGS__)

/* Stops this CPU for good after a fatal, already reported condition. */
_Noreturn void cpu_halt_forever(void);

#endif
