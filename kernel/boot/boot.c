/* The first C code: read what the multiboot loader gave us, apply the
 * configuration, move into the reserved region, go on in kernel/main.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot.h"
#include "config.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "serial.h"

static struct boot_info boot_info;
static struct shoji_config boot_config;

void (*boot_fatal_return)(const char *msg);

void boot_point_of_no_return(void)
{
	boot_fatal_return = NULL;
}

_Noreturn void boot_fatal(const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	if (boot_fatal_return) {
		log_error("Shoji did not start; the firmware continues without it");
		boot_fatal_return(msg);
	}
	log_error("Shoji did not start; the machine is halted");
	cpu_halt_forever();
}

/* Before relocation the boot page tables map 0..4 GiB at the direct map. */
static bool boot_phys_read(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (pa >= GiB(4) || n > GiB(4) - pa)
		return false;
	memcpy(dst, phys_to_virt(pa), n);
	return true;
}

void boot_main(uint32_t magic, uint32_t mbi);

void boot_main(uint32_t magic, uint32_t mbi)
{
	char why[256];
	struct config_error cerr;

	shoji_region.image_start = IMAGE_LOAD_PA; /* until we move */
	serial_init(0x3F8); /* so that an early error is seen at all */
	if (multiboot_info_parse(magic, mbi, boot_phys_read, NULL, &boot_info, why, sizeof(why)) !=
	    E_OK)
		boot_fatal("boot loader: %s", why);

	config_defaults(&boot_config);
	if (config_parse_cmdline(boot_info.cmdline, &boot_config, &cerr) != E_OK)
		boot_fatal("configuration: %s", cerr.msg);
	serial_init(boot_config.serial_port);
	log_set_level((enum log_level)boot_config.loglevel);

	log_info("Shoji starting, loaded by %s",
		 boot_info.loader_name[0] ? boot_info.loader_name : "a multiboot loader");
	for (unsigned i = 0; i < boot_config.applied_count; i++)
		log_info("config: %s=%s applied", boot_config.applied[i].key,
			 boot_config.applied[i].value);

	relocate_image(&boot_info, boot_config.memsize);
	core_start(&boot_info, &boot_config);
}
