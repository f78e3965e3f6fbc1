/* The core's start-up after relocation: CPU tables, back end, guest. */
#include "boot.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"

static struct boot_info *core_boot_info;
static struct shoji_config *core_config;

static void core_main_bsp(void)
{
	log_info("reserved region %#lx-%#lx (%lu MiB), image %lu KiB, %lu pages free",
		 shoji_region.start, shoji_region.end - 1,
		 (shoji_region.end - shoji_region.start) >> 20,
		 (shoji_region.image_end - shoji_region.image_start) >> 10, page_free_count());
	(void)core_boot_info;
	(void)core_config;
	cpu_halt_forever();
}

_Noreturn void core_start(struct boot_info *bi, struct shoji_config *cfg)
{
	core_boot_info = bi;
	core_config = cfg;
	cpu_init(0, core_main_bsp);
}
