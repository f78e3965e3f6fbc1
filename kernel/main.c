/* The core's start-up after relocation: CPU tables, the back end (chosen
 * here, once), the guest, and the run loop. */
#include <string.h>

#include "acpi.h"
#include "boot.h"
#include "cpu_features.h"
#include "delay.h"
#include "dom.h"
#include "exit.h"
#include "guest.h"
#include "lapic.h"
#include "log.h"
#include "mm.h"
#include "panic.h"
#include "percpu.h"
#include "smp.h"
#include "vcpus.h"
#include "x86.h"

extern const struct vm_ops svm_ops, vmx_ops;

const struct vm_ops *vm_backend;

static struct boot_info *core_boot_info;
const struct shoji_config *core_config;
/* What every CPU needs to set up its vCPU (written by the boot CPU
 * before the others start). */
static struct vm_boot_state guest_boot;
static struct guest_memory_plan guest_plan;

/* STYLE.md 5: bind the back end once; nothing asks the vendor again. */
static void backend_select(void)
{
	bool intel = cpu_features.vendor == INSN_VENDOR_INTEL;
	const struct vm_ops *const candidates[] = { intel ? &vmx_ops : &svm_ops,
						    intel ? &svm_ops : &vmx_ops };
	char why[300], ignored[300];

	/* The vendor's own first; its reason is the one told if neither runs. */
	for (unsigned i = 0; i < ARRAY_SIZE(candidates); i++) {
		if (candidates[i]->probe(i == 0 ? why : ignored, sizeof(why))) {
			vm_backend = candidates[i];
			log_info("virtualization: %s", vm_backend->name);
			return;
		}
	}
	boot_fatal("%s", why);
}

/* Firmware tables (the MADT) live in low memory. */
static bool firmware_read(void *opaque, paddr_t pa, void *dst, size_t n)
{
	(void)opaque;
	if (pa >= GiB(4) || n > GiB(4) - pa || ranges_overlap(pa, pa + n, shoji_region.start,
							     shoji_region.end))
		return false;
	memcpy(dst, phys_to_virt(pa), n);
	return true;
}

/* This CPU's vCPU: enable virtualization, register, set up. */
static struct vcpu *vcpu_setup(uint32_t index, enum vcpu_state state)
{
	struct pcpu *cpu = this_cpu();
	enum err e;

	if ((e = vm_backend->cpu_enable(cpu)) != E_OK)
		boot_fatal("CPU %u: cannot enable virtualization (%s)", index, err_name(e));
	struct vcpu *v = vcpu_register(index, lapic_id(), state);

	/* IA32_TSC_ADJUST starts at the host's value (SDM 17.17.3). */
	if (cpu_features.tsc_adjust)
		msr_read_safe(0x3B, &v->tsc_adjust);
	if ((e = vm_backend->vcpu_init(v, &guest_plan, &guest_boot)) != E_OK)
		boot_fatal("cannot set up guest CPU %u (%s); raise vmm.memsize", index, err_name(e));
	return v;
}

/* Each other CPU, once its tables are set up: it becomes a guest CPU
 * waiting inside Shoji for the guest's start-up IPI. */
static void core_main_ap(void)
{
	struct vcpu *v = vcpu_setup(this_cpu()->index, VCPU_WAIT_SIPI);

	smp_ap_up();
	vcpu_run_loop(v);
}

static void core_main_bsp(void)
{
	struct cpu_list cpus;
	char why[300];

	log_info("reserved region %#lx-%#lx (%lu MiB): image %lu KiB",
		 shoji_region.start, shoji_region.end - 1,
		 (shoji_region.end - shoji_region.start) >> 20,
		 (shoji_region.image_end - shoji_region.image_start) >> 10);
	cpu_features_read();
	backend_select();
	if (guest_prepare(core_boot_info, &guest_boot, &guest_plan, why, sizeof(why)) != E_OK)
		boot_fatal("guest: %s", why);
	guest_plan.page_1g = cpu_features.page_1g;
	uint64_t apic_base = rdmsr(MSR_APIC_BASE);

	if ((apic_base & APIC_BASE_ENABLE) && !(apic_base & APIC_BASE_X2APIC))
		guest_plan.trap_page = apic_base & APIC_BASE_ADDR_MASK;
	for (unsigned i = 0; i < guest_map_count; i++)
		log_debug("guest memory %#lx-%#lx type %u", guest_map[i].start, guest_map[i].end - 1,
			  guest_map[i].type);

	struct vcpu *bsp = vcpu_setup(0, VCPU_RUNNING);

	if (acpi_find_cpus(firmware_read, NULL, core_boot_info->acpi_rsdp, &cpus) != E_OK) {
		log_warn("no ACPI MADT: Shoji and the guest run on the boot CPU only");
		cpus.count = 0;
	} else if (cpus.truncated) {
		log_warn("more than %d CPUs: the others stay off", MAX_CPUS);
	}
	/* INIT ends whatever the other CPUs ran: no way back after this. */
	boot_point_of_no_return();
	unsigned aps = cpus.count ? smp_start_aps(&cpus, core_main_ap) : 0;

	tsc_calibrate();
	budget_calibrate();
	dom_start_all();

	log_info("%u CPU%s in Shoji (boot CPU APIC %u); %lu KiB of the reserved region unused",
		 aps + 1, aps ? "s" : "", bsp->apic_id, page_free_count() * 4);
	/* SPEC: without the IOMMU, say so and claim nothing about DMA. */
	log_warn("no DMA protection: Shoji does not program an IOMMU yet, so devices the guest "
		 "drives can reach Shoji's memory by DMA");
	if (guest_boot.mode == VM_BOOT_RESUME)
		log_info("resuming the firmware as the guest at %#lx", guest_boot.resume->rip);
	else
		log_info("starting the guest at %#x", guest_boot.eip);
	vcpu_run_loop(bsp);
}

_Noreturn void core_start(struct boot_info *bi, struct shoji_config *cfg)
{
	core_boot_info = bi;
	core_config = cfg;
	cpu_init(0, core_main_bsp);
}
