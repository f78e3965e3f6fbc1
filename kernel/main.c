/* The core's start-up after relocation: CPU tables, the back end (chosen
 * here, once), the guest, and the run loop. */
#include "boot.h"
#include "cpu_features.h"
#include "exit.h"
#include "guest.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "x86.h"

extern const struct vm_ops svm_ops;

const struct vm_ops *vm_backend;

static struct boot_info *core_boot_info;
static struct shoji_config *core_config;
static struct vcpu boot_vcpu;

/* STYLE.md 5: bind the back end once; nothing asks the vendor again. */
static void backend_select(void)
{
	static const struct vm_ops *const candidates[] = { &svm_ops };
	char why[200];

	for (unsigned i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (candidates[i]->probe(why, sizeof(why))) {
			vm_backend = candidates[i];
			log_info("virtualization: %s", vm_backend->name);
			return;
		}
	}
	if (cpu_features.vendor == INSN_VENDOR_INTEL)
		boot_fatal("this is an %s CPU; Shoji's VT-x back end is not built yet, and %s",
			   cpu_features.vendor_string, why);
	boot_fatal("%s", why);
}

static void core_main_bsp(void)
{
	struct vm_boot_state boot;
	struct guest_memory_plan plan;
	char why[300];
	enum err e;

	log_info("reserved region %#lx-%#lx (%lu MiB): image %lu KiB",
		 shoji_region.start, shoji_region.end - 1,
		 (shoji_region.end - shoji_region.start) >> 20,
		 (shoji_region.image_end - shoji_region.image_start) >> 10);
	cpu_features_read();
	backend_select();
	if (guest_prepare(core_boot_info, &boot, &plan, why, sizeof(why)) != E_OK)
		boot_fatal("guest: %s", why);
	plan.page_1g = cpu_features.page_1g;
	for (unsigned i = 0; i < guest_map_count; i++)
		log_debug("guest memory %#lx-%#lx type %u", guest_map[i].start, guest_map[i].end - 1,
			  guest_map[i].type);

	struct pcpu *cpu = this_cpu();

	if ((e = vm_backend->cpu_enable(cpu)) != E_OK)
		boot_fatal("CPU %u: cannot enable virtualization (%s)", cpu->index, err_name(e));
	boot_vcpu.id = cpu->index;
	/* IA32_TSC_ADJUST starts at the host's value (SDM 17.17.3). */
	if (cpu_features.tsc_adjust)
		msr_read_safe(0x3B, &boot_vcpu.tsc_adjust);
	boot_vcpu.cpu = cpu;
	cpu->vcpu = &boot_vcpu;
	if ((e = vm_backend->vcpu_init(&boot_vcpu, &plan, &boot)) != E_OK)
		boot_fatal("cannot set up the guest CPU (%s); raise vmm.memsize", err_name(e));
	log_info("%lu KiB of the reserved region unused", page_free_count() * 4);
	/* SPEC: without the IOMMU, say so and claim nothing about DMA. */
	log_warn("no DMA protection: Shoji does not program an IOMMU yet, so devices the guest "
		 "drives can reach Shoji's memory by DMA");
	log_info("starting the guest at %#x", boot.eip);
	(void)core_config;
	vcpu_run_loop(&boot_vcpu);
}

_Noreturn void core_start(struct boot_info *bi, struct shoji_config *cfg)
{
	core_boot_info = bi;
	core_config = cfg;
	cpu_init(0, core_main_bsp);
}
