/* Preparing the one guest from the boot modules: module 0 is the guest
 * kernel (a Linux bzImage, or a multiboot kernel); for Linux, module 1 is
 * its initrd; for a multiboot kernel, the other modules are its own. */
#include <stdio.h>
#include <string.h>

#include "guest.h"
#include "guest_load.h"
#include "log.h"
#include "mm.h"

extern const struct guest_phys_ops guest_load_memory;

static bool guest_map_build(const struct boot_info *bi, char *why, size_t why_size);
static enum err plan_build(struct guest_memory_plan *plan, char *why, size_t why_size);

/* "module 0 (/boot/vmlinuz)": the first word of the module string. */
static void module_label(char *out, size_t size, unsigned index, const char *cmdline)
{
	size_t n = strcspn(cmdline, " ");

	if (n == 0)
		snprintf(out, size, "module %u", index);
	else
		snprintf(out, size, "module %u (%.*s)", index, (int)MIN(n, (size_t)60), cmdline);
}

enum err guest_prepare(const struct boot_info *bi, struct vm_boot_state *boot,
		       struct guest_memory_plan *plan, char *why, size_t why_size)
{
	static char labels[BOOT_MAX_MODULES][80];
	struct guest_image images[BOOT_MAX_MODULES];
	uint8_t head[GUEST_PROBE_BYTES];

	if (bi->resume) {
		/* UEFI: the guest is the firmware that called Shoji. */
		if (!guest_map_build(bi, why, why_size))
			return E_RANGE;
		*boot = (struct vm_boot_state){ .mode = VM_BOOT_RESUME, .resume = bi->resume };
		log_info("guest: the UEFI firmware, resuming at %#lx", bi->resume->rip);
		return plan_build(plan, why, why_size);
	}
	if (bi->module_count == 0) {
		snprintf(why, why_size,
			 "no guest: give the guest kernel as the first multiboot module (a Linux "
			 "bzImage, with its initrd as the second, or a multiboot kernel)");
		return E_NOTFOUND;
	}
	if (!guest_map_build(bi, why, why_size))
		return E_RANGE;
	for (unsigned i = 0; i < bi->module_count; i++) {
		module_label(labels[i], sizeof(labels[i]), i, bi->modules[i].cmdline);
		images[i] = (struct guest_image){ bi->modules[i].start,
						  bi->modules[i].end - bi->modules[i].start,
						  bi->modules[i].cmdline, labels[i] };
	}
	struct guest_load_ctx ctx = { &guest_load_memory, guest_map, guest_map_count, why, why_size };
	size_t probe = (size_t)MIN(images[0].size, (uint64_t)sizeof(head));
	enum err e;

	if (images[0].size == 0) {
		snprintf(why, why_size, "%s is empty", labels[0]);
		return E_INVAL;
	}
	if (!guest_load_memory.read(NULL, images[0].start, head, probe)) {
		snprintf(why, why_size, "%s lies outside the guest's memory", labels[0]);
		return E_FAULT;
	}
	if (linux_image_detect(head, probe)) {
		if (bi->module_count > 2) {
			snprintf(why, why_size, "a Linux guest takes one initrd; %u modules follow it",
				 bi->module_count - 1);
			return E_INVAL;
		}
		log_info("guest: Linux kernel %s%s%s", labels[0],
			 bi->module_count > 1 ? ", initrd " : "", bi->module_count > 1 ? labels[1] : "");
		e = linux_load(&ctx, &images[0], bi->module_count > 1 ? &images[1] : NULL, boot);
	} else if (multiboot_image_detect(head, probe)) {
		log_info("guest: multiboot kernel %s with %u module(s)", labels[0],
			 bi->module_count - 1);
		e = multiboot_load(&ctx, &images[0], &images[1], bi->module_count - 1, boot);
	} else {
		snprintf(why, why_size,
			 "%s is neither a Linux bzImage (no \"HdrS\" header) nor a multiboot kernel "
			 "(no multiboot header in its first 8 KiB)",
			 labels[0]);
		return E_INVAL;
	}
	if (e != E_OK)
		return e;
	return plan_build(plan, why, why_size);
}

static bool guest_map_build(const struct boot_info *bi, char *why, size_t why_size)
{
	guest_map_count = e820_build(bi->mmap, bi->mmap_count, shoji_region.start,
				     shoji_region.end, guest_map, E820_MAX);
	if (!guest_map_count)
		snprintf(why, why_size, "the memory map has too many entries for the guest");
	return guest_map_count != 0;
}

/* What the back end builds: everything one-to-one but Shoji's region. */
static enum err plan_build(struct guest_memory_plan *plan, char *why, size_t why_size)
{
	void *zero = page_alloc();

	if (!zero) {
		snprintf(why, why_size, "reserved region full; raise vmm.memsize");
		return E_NOMEM;
	}
	uint64_t top = GiB(4);

	for (unsigned i = 0; i < guest_map_count; i++)
		top = MAX(top, guest_map[i].end);
	*plan = (struct guest_memory_plan){
		.identity_end = ALIGN_UP(top, PAGE_1G),
		.ghost_start = shoji_region.start,
		.ghost_end = shoji_region.end,
		.zero_page = virt_to_phys(zero),
	};
	return E_OK;
}
