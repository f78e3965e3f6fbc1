#ifndef SHOJI_BOOT_H
#define SHOJI_BOOT_H

#include "boot_info.h"
#include "config.h"

/* Reports why Shoji cannot start and stops the machine. */
_Noreturn void boot_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Multiboot: chooses the reserved region and moves the image there. */
void relocate_image(const struct boot_info *bi, uint64_t region_size);
/* UEFI: the loader already put the image at the start of the region. */
void region_adopt(const struct boot_info *bi, paddr_t base, uint64_t region_size);

/* Set while Shoji can still hand the machine back to the firmware that
 * called it (UEFI): boot_fatal then returns there with the reason instead
 * of halting.  Cleared at the point of no return. */
extern void (*boot_fatal_return)(const char *msg);

/* Before the first step the firmware cannot survive (starting the other
 * CPUs): from here on boot_fatal halts. */
void boot_point_of_no_return(void);

/* The rest of the start-up, on the relocated image (kernel/main.c). */
_Noreturn void core_start(struct boot_info *bi, struct shoji_config *cfg);

#endif
