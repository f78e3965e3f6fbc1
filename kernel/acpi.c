/* ACPI: RSDP, RSDT/XSDT and the MADT (ACPI 6.5, sections 5.2.5-5.2.12).
 * Firmware tables are trusted as the firmware itself is, but read with
 * bounds: a broken table gives "no CPUs found", not a wild pointer. */
#include <string.h>

#include "acpi.h"

#define MADT_LOCAL_APIC 0
#define MADT_LOCAL_X2APIC 9
#define MADT_ENABLED BIT(0)
#define MADT_ONLINE_CAPABLE BIT(1)
#define TABLE_MAX_LEN (16 * 1024)

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision, creator_id, creator_revision;
} __attribute__((packed));

static bool checksum_ok(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum == 0;
}

static void add_cpu(struct cpu_list *out, uint32_t apic_id)
{
	for (unsigned i = 0; i < out->count; i++)
		if (out->apic_id[i] == apic_id)
			return; /* listed twice (APIC and x2APIC entries) */
	if (out->count == MAX_CPUS) {
		out->truncated = true;
		return;
	}
	out->apic_id[out->count++] = apic_id;
}

enum err madt_parse(const uint8_t *madt, size_t len, struct cpu_list *out)
{
	memset(out, 0, sizeof(*out));
	if (len < sizeof(struct sdt_header) + 8 || memcmp(madt, "APIC", 4) != 0)
		return E_INVAL;
	for (size_t off = sizeof(struct sdt_header) + 8; off + 2 <= len;) {
		uint8_t type = madt[off], elen = madt[off + 1];

		if (elen < 2 || off + elen > len)
			return out->count ? E_OK : E_INVAL;
		if (type == MADT_LOCAL_APIC && elen >= 8) {
			uint32_t flags;

			memcpy(&flags, madt + off + 4, 4);
			if (flags & MADT_ENABLED)
				add_cpu(out, madt[off + 3]);
		} else if (type == MADT_LOCAL_X2APIC && elen >= 16) {
			uint32_t id, flags;

			memcpy(&id, madt + off + 4, 4);
			memcpy(&flags, madt + off + 8, 4);
			if (flags & MADT_ENABLED)
				add_cpu(out, id);
		}
		off += elen;
	}
	return out->count ? E_OK : E_NOTFOUND;
}

/* Reads a whole table at pa into buf (at most cap bytes); its length. */
static size_t read_table(phys_read_fn read, void *opaque, paddr_t pa, uint8_t *buf, size_t cap)
{
	struct sdt_header h;

	if (!read(opaque, pa, &h, sizeof(h)) || h.length < sizeof(h) || h.length > cap ||
	    !read(opaque, pa, buf, h.length) || !checksum_ok(buf, h.length))
		return 0;
	return h.length;
}

static bool find_rsdp(phys_read_fn read, void *opaque, uint8_t rsdp[36])
{
	uint16_t ebda_segment = 0;
	paddr_t areas[2][2] = { { 0, 0 }, { 0xE0000, 0x100000 } };

	if (read(opaque, 0x40E, &ebda_segment, 2) && ebda_segment) {
		areas[0][0] = (paddr_t)ebda_segment << 4;
		areas[0][1] = areas[0][0] + 1024;
	}
	for (int a = 0; a < 2; a++) {
		for (paddr_t p = areas[a][0]; p + 20 <= areas[a][1]; p += 16) {
			if (!read(opaque, p, rsdp, 20) || memcmp(rsdp, "RSD PTR ", 8) != 0 ||
			    !checksum_ok(rsdp, 20))
				continue;
			if (rsdp[15] >= 2 && (!read(opaque, p, rsdp, 36) || !checksum_ok(rsdp, 36)))
				continue;
			return true;
		}
	}
	return false;
}

enum err acpi_find_cpus(phys_read_fn read, void *opaque, paddr_t rsdp_pa, struct cpu_list *out)
{
	static uint8_t table[TABLE_MAX_LEN], madt[TABLE_MAX_LEN];
	uint8_t rsdp[36];
	uint64_t root;
	unsigned entry_size;

	memset(out, 0, sizeof(*out));
	if (rsdp_pa) {
		/* Given by the loader (the UEFI configuration table). */
		if (!read(opaque, rsdp_pa, rsdp, 20) || memcmp(rsdp, "RSD PTR ", 8) != 0 ||
		    !checksum_ok(rsdp, 20) ||
		    (rsdp[15] >= 2 && (!read(opaque, rsdp_pa, rsdp, 36) || !checksum_ok(rsdp, 36))))
			return E_NOTFOUND;
	} else if (!find_rsdp(read, opaque, rsdp)) {
		return E_NOTFOUND;
	}
	if (rsdp[15] >= 2 && (memcpy(&root, rsdp + 24, 8), root)) {
		entry_size = 8; /* XSDT */
	} else {
		uint32_t rsdt;

		memcpy(&rsdt, rsdp + 16, 4);
		root = rsdt;
		entry_size = 4;
	}
	size_t len = read_table(read, opaque, root, table, sizeof(table));

	if (!len)
		return E_NOTFOUND;
	for (size_t off = sizeof(struct sdt_header); off + entry_size <= len; off += entry_size) {
		uint64_t pa = 0;

		memcpy(&pa, table + off, entry_size);
		size_t mlen = read_table(read, opaque, pa, madt, sizeof(madt));

		if (mlen && memcmp(madt, "APIC", 4) == 0)
			return madt_parse(madt, mlen, out);
	}
	return E_NOTFOUND;
}
