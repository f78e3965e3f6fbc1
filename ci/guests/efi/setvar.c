/* setvar.efi: a UEFI application run after the loader (so, as Shoji's
 * guest when Shoji started): 100 non-volatile SetVariable calls, each read
 * back, then the variable deleted.  With Secure Boot's SMM variable store
 * (OVMF secboot builds) every one goes through an SMI.
 *
 * Expect: SUCCESS - 100 of 100 SetVariable calls succeed and read back. */
#include <efi.h>
#include <stdio.h>
#include <string.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

static EFI_SYSTEM_TABLE *sys;

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

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

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	/* A vendor GUID of Shoji's tests. */
	EFI_GUID vendor = { 0x5a3c1d2e, 0x7b4f, 0x4e6a, { 0x9d, 0x18, 0x53, 0x48, 0x4f, 0x4a, 0x49, 0x31 } };
	CHAR16 name[] = { 'S', 'h', 'o', 'j', 'i', 'T', 'e', 's', 't', 0 };
	UINT32 attr = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
		      EFI_VARIABLE_RUNTIME_ACCESS;
	unsigned ok = 0, first_bad = 0;
	EFI_STATUS bad = EFI_SUCCESS;
	char msg[160];

	(void)image;
	sys = st;
	uint64_t t0 = rdtsc();

	for (unsigned i = 0; i < 100; i++) {
		UINT64 value = 0x5348000000000000ULL | i, back = 0;
		UINTN size = sizeof(back);
		UINT32 got_attr;
		EFI_STATUS s = st->RuntimeServices->SetVariable(name, &vendor, attr, sizeof(value),
								&value);

		if (!EFI_ERROR(s))
			s = st->RuntimeServices->GetVariable(name, &vendor, &got_attr, &size, &back);
		if (!EFI_ERROR(s) && size == sizeof(back) && back == value) {
			ok++;
		} else if (bad == EFI_SUCCESS) {
			bad = EFI_ERROR(s) ? s : EFI_COMPROMISED_DATA;
			first_bad = i;
		}
	}
	uint64_t per_call = (rdtsc() - t0) / 100;

	st->RuntimeServices->SetVariable(name, &vendor, attr, 0, NULL); /* delete */
	if (ok == 100)
		snprintf(msg, sizeof(msg),
			 "shoji-test uefi-setvar: SUCCESS: 100 of 100 SetVariable calls succeeded and read "
			 "back (%lu TSC ticks per write and read)",
			 (unsigned long)per_call);
	else
		snprintf(msg, sizeof(msg),
			 "shoji-test uefi-setvar: FAILURE: %u of 100 SetVariable calls succeeded; call %u "
			 "failed with status %#lx",
			 ok, first_bad, (unsigned long)bad);
	line(msg);
	return EFI_SUCCESS;
}
