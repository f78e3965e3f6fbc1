/* The kit's runtime: serial output, verdicts, exceptions, boot info. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kit.h"

#define COM1 0x3F8
#define MB_BOOT_MAGIC 0x2BADB002

uint64_t kit_last_error_code;
extern uint64_t kit_catch_rsp;
extern char kit_catch_resume[];

struct trap_frame {
	uint64_t r11, r10, r9, r8, rdi, rsi, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

static void serial_write(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			while (!(kit_inb(COM1 + 5) & 0x20))
				;
			kit_outb(COM1, '\r');
		}
		while (!(kit_inb(COM1 + 5) & 0x20))
			;
		kit_outb(COM1, (uint8_t)s[i]);
	}
}

void kit_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcbprintf(serial_write, NULL, fmt, ap);
	va_end(ap);
}

_Noreturn void kit_exit(void)
{
	/* Bochs sends at the line's baud rate and a power-off drops what the
	 * UART still holds: wait until its transmitter is empty (LSR bit 6),
	 * or the verdict line loses its end. */
	while (!(kit_inb(COM1 + 5) & 0x40))
		;
	/* QEMU's isa-debug-exit (the runner adds it), then Bochs' shutdown
	 * port, then stop. */
	kit_outb(0xF4, 0);
	for (const char *p = "Shutdown"; *p; p++)
		kit_outb(0x8900, (uint8_t)*p);
	for (;;)
		__asm__ volatile("cli; hlt");
}

static _Noreturn void verdict(const char *word, const char *reason)
{
	kit_printf("shoji-test %s: %s%s%s\n", kit_test_id, word, reason ? ": " : "",
		   reason ? reason : "");
	kit_exit();
}

_Noreturn void kit_success(void)
{
	verdict("SUCCESS", NULL);
}

#define VERDICT_FN(name, word)                                  \
	_Noreturn void name(const char *fmt, ...)               \
	{                                                       \
		char reason[256];                               \
		va_list ap;                                     \
		va_start(ap, fmt);                              \
		vsnprintf(reason, sizeof(reason), fmt, ap);     \
		va_end(ap);                                     \
		verdict(word, reason);                          \
	}
VERDICT_FN(kit_skip, "SKIP")
VERDICT_FN(kit_error, "ERROR")
VERDICT_FN(kit_failure, "FAILURE")

void kit_trap_handler(struct trap_frame *f);

static kit_handler_fn vector_handlers[32];

void kit_set_handler(unsigned vector, kit_handler_fn fn)
{
	vector_handlers[vector] = fn;
}

void kit_trap_handler(struct trap_frame *f)
{
	if (f->vector < 32 && vector_handlers[f->vector]) {
		f->rip = vector_handlers[f->vector](f->rip, f->rflags);
		return;
	}
	if (kit_catch_rsp) {
		kit_last_error_code = f->error;
		f->rax = f->vector;
		f->rip = (uint64_t)kit_catch_resume;
		return;
	}
	kit_error("unexpected exception %lu (error %#lx) at rip %#lx", f->vector, f->error, f->rip);
}

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, attr;
	uint16_t off1;
	uint32_t off2, zero;
} __attribute__((packed));

static struct idt_gate idt[32] __attribute__((aligned(16)));

#define TRAP(n) extern char kit_trap_##n[];
TRAP(0) TRAP(1) TRAP(2) TRAP(3) TRAP(4) TRAP(5) TRAP(6) TRAP(7) TRAP(8) TRAP(9) TRAP(10)
TRAP(11) TRAP(12) TRAP(13) TRAP(14) TRAP(15) TRAP(16) TRAP(17) TRAP(18) TRAP(19) TRAP(20)
TRAP(21) TRAP(22) TRAP(23) TRAP(24) TRAP(25) TRAP(26) TRAP(27) TRAP(28) TRAP(29) TRAP(30)
TRAP(31)

static char *const trap_entries[32] = {
	kit_trap_0, kit_trap_1, kit_trap_2, kit_trap_3, kit_trap_4, kit_trap_5, kit_trap_6,
	kit_trap_7, kit_trap_8, kit_trap_9, kit_trap_10, kit_trap_11, kit_trap_12, kit_trap_13,
	kit_trap_14, kit_trap_15, kit_trap_16, kit_trap_17, kit_trap_18, kit_trap_19, kit_trap_20,
	kit_trap_21, kit_trap_22, kit_trap_23, kit_trap_24, kit_trap_25, kit_trap_26, kit_trap_27,
	kit_trap_28, kit_trap_29, kit_trap_30, kit_trap_31,
};

static void idt_install(void)
{
	for (int i = 0; i < 32; i++) {
		uint64_t a = (uint64_t)trap_entries[i];

		idt[i] = (struct idt_gate){ (uint16_t)a, 0x08, 0, 0x8E, (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0 };
	}
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(idtr));
}

bool kit_cmdline_has(const struct kit_boot *boot, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = boot->cmdline; p && *p;) {
		while (*p == ' ')
			p++;
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
	}
	return false;
}

void kit_require_shoji(const struct kit_boot *boot)
{
	uint32_t r[4];

	if (kit_cmdline_has(boot, "bare"))
		kit_skip("booted without Shoji: nothing to attack");
	kit_cpuid(0x80000001, 0, r);
	if (r[2] & (1u << 2))
		kit_failure("SVM is visible to the guest: Shoji does not hide it");
}

bool kit_find_shoji_region(const struct kit_boot *boot, uint64_t *start, uint64_t *end)
{
	for (unsigned i = 0; i < boot->mmap_count; i++) {
		const struct kit_mmap_entry *e = &boot->mmap[i];

		if (e->type == 2 && e->end - e->start >= (16u << 20) && !(e->start & 0x1FFFFF) &&
		    e->end <= 0xE0000000ULL && e->start >= (1u << 20)) {
			*start = e->start;
			*end = e->end;
			return true;
		}
	}
	return false;
}

/* Multiboot information, v1 (only what tests use). */
struct mbi {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
};

static struct kit_boot kit_boot_info;

void kit_main(uint32_t magic, uint32_t mbi_pa);

void kit_main(uint32_t magic, uint32_t mbi_pa)
{
	struct kit_boot *b = &kit_boot_info;
	const struct mbi *mbi = (const void *)(uintptr_t)mbi_pa;

	idt_install();
	b->magic = magic;
	if (magic != MB_BOOT_MAGIC)
		kit_error("started with magic %#x, not by a multiboot loader", magic);
	b->cmdline = (mbi->flags & (1u << 2)) ? (const char *)(uintptr_t)mbi->cmdline : "";
	if (mbi->flags & (1u << 3)) {
		const uint32_t *m = (const void *)(uintptr_t)mbi->mods_addr;

		for (uint32_t i = 0; i < mbi->mods_count && i < 8; i++, m += 4)
			b->modules[b->module_count++] =
				(struct kit_module){ m[0], m[1], (const char *)(uintptr_t)m[2] };
	}
	if (mbi->flags & (1u << 6)) {
		for (uint32_t off = 0; off + 24 <= mbi->mmap_length && b->mmap_count < 64;) {
			const uint8_t *e = (const void *)(uintptr_t)(mbi->mmap_addr + off);
			uint32_t size;
			uint64_t base, len;
			uint32_t type;

			memcpy(&size, e, 4);
			memcpy(&base, e + 4, 8);
			memcpy(&len, e + 12, 8);
			memcpy(&type, e + 20, 4);
			b->mmap[b->mmap_count++] = (struct kit_mmap_entry){ base, base + len, type };
			off += size + 4;
		}
	}
	test_main(b);
	kit_error("test_main returned without a verdict");
}

/* libc's failure hooks. */
_Noreturn void abort(void)
{
	kit_error("abort() called");
}

_Noreturn void __assert_fail_shoji(const char *expr, const char *file, int line, const char *func)
{
	kit_error("assertion '%s' failed in %s (%s:%d)", expr, func, file, line);
}
