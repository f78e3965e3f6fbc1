/* mpstart.efi: a UEFI application run after the loader, so as Shoji's
 * guest: the firmware's MP services run a procedure on every AP 20 times.
 * OVMF parks its APs in a HLT loop and wakes them with broadcast
 * INIT-SIPI-SIPI each time, which Shoji must carry out in software (an
 * INIT reaching a real CPU would reset it out of Shoji).
 *
 * Expect: SUCCESS - every AP ran the procedure 20 times (SKIP with one CPU). */
#include <efi.h>
#include <stdio.h>
#include <string.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

/* PI 1.7 volume 2, 13.4: EFI_MP_SERVICES_PROTOCOL (gnu-efi has no
 * definition of it).  Only the members used here are typed. */
typedef void(EFIAPI *ap_procedure)(void *arg);
struct mp_services {
	EFI_STATUS(EFIAPI *get_number_of_processors)(struct mp_services *self, UINTN *total,
						     UINTN *enabled);
	void *get_processor_info;
	EFI_STATUS(EFIAPI *startup_all_aps)(struct mp_services *self, ap_procedure proc,
					    BOOLEAN single_thread, EFI_EVENT wait_event,
					    UINTN timeout_us, void *arg, UINTN **failed);
	void *startup_this_ap, *switch_bsp, *enable_disable_ap, *who_am_i;
};

#define ROUNDS 20

static EFI_SYSTEM_TABLE *sys;
static volatile UINT32 runs;

static void line(const char *s)
{
	CHAR16 w[200];
	size_t i = 0;

	for (; s[i] && i + 3 < 200; i++)
		w[i] = (CHAR16)(unsigned char)s[i];
	w[i++] = '\r';
	w[i++] = '\n';
	w[i] = 0;
	sys->ConOut->OutputString(sys->ConOut, w);
}

static void EFIAPI on_ap(void *arg)
{
	unsigned a, b, c, d;

	(void)arg;
	/* A CPUID: the AP exits to Shoji once in each round. */
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
	__atomic_add_fetch(&runs, 1, __ATOMIC_SEQ_CST);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID mp_guid = { 0x3fdda605, 0xa76e, 0x4f46,
			     { 0xad, 0x29, 0x12, 0xf4, 0x53, 0x1b, 0x3d, 0x08 } };
	struct mp_services *mp;
	UINTN total = 0, enabled = 0;
	char msg[200];
	EFI_STATUS s = EFI_SUCCESS;
	unsigned round = 0;

	(void)image;
	sys = st;
	if (EFI_ERROR(st->BootServices->LocateProtocol(&mp_guid, NULL, (void **)&mp)) ||
	    EFI_ERROR(mp->get_number_of_processors(mp, &total, &enabled))) {
		line("shoji-test uefi-mpstart: ERROR: the firmware has no MP services");
		return EFI_SUCCESS;
	}
	if (enabled < 2) {
		line("shoji-test uefi-mpstart: SKIP: one CPU");
		return EFI_SUCCESS;
	}
	for (; round < ROUNDS && !EFI_ERROR(s); round++)
		s = mp->startup_all_aps(mp, on_ap, FALSE, NULL, 5000000, NULL, NULL);
	if (!EFI_ERROR(s) && runs == ROUNDS * (enabled - 1))
		snprintf(msg, sizeof(msg),
			 "shoji-test uefi-mpstart: SUCCESS: %u APs ran the procedure %u times each",
			 (unsigned)(enabled - 1), ROUNDS);
	else
		snprintf(msg, sizeof(msg),
			 "shoji-test uefi-mpstart: FAILURE: round %u: status %#lx, %u runs of %u",
			 round, (unsigned long)s, runs, (unsigned)(ROUNDS * (enabled - 1)));
	line(msg);
	return EFI_SUCCESS;
}
