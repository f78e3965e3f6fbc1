/* Booting what the firmware's boot manager would boot after the loader. */
#ifndef SHOJI_BOOT_NEXT_H
#define SHOJI_BOOT_NEXT_H

#include <efi.h>

/* If the boot manager started the loader (BootCurrent is a boot option on
 * a device, not a firmware-volume application such as the UEFI shell),
 * starts the first active Boot#### after it in BootOrder that loads, with
 * the option's optional data as its arguments, and returns what that
 * image returned.  EFI_NOT_FOUND if the loader was not started as a boot
 * option or no later option loads: the caller returns to whoever started
 * it.
 *
 * Why: an edk2 boot manager shows its menu, instead of going on to the
 * next option, when a boot option returns EFI_SUCCESS (UEFI 2.10 3.1.1
 * allows it), so a loader that returns success would stop the boot. */
EFI_STATUS boot_next_option(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

#endif
