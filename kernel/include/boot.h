#ifndef SHOJI_BOOT_H
#define SHOJI_BOOT_H

#include "boot_info.h"
#include "config.h"

/* Reports why Shoji cannot start and stops the machine. */
_Noreturn void boot_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void relocate_image(const struct boot_info *bi, uint64_t region_size);

/* The rest of the start-up, on the relocated image (kernel/main.c). */
_Noreturn void core_start(struct boot_info *bi, struct shoji_config *cfg);

#endif
