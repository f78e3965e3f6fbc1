/* The loader's few firmware services: console messages and files of its
 * own directory.  UEFI 2.10 chapters 12.4 (simple text output) and 13.5
 * (file protocol). */
#ifndef SHOJI_EFI_UTIL_H
#define SHOJI_EFI_UTIL_H

#include <efi.h>

#include "types.h"

void con_init(EFI_SYSTEM_TABLE *st);
/* One message line on the firmware's console (mirrored to the serial
 * port by OVMF), prefixed "shoji loader: ". */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An EFI status in words, for messages. */
const char *efi_status_name(EFI_STATUS s);

struct loader_dir {
	EFI_FILE_HANDLE root;
	char path[256];      /* the loader's directory, "\EFI\shoji\" */
};

/* Finds the directory the loader was started from. */
EFI_STATUS dir_open(EFI_HANDLE image, struct loader_dir *dir, char *why, size_t why_size);

/* Reads `name` of that directory: up to `cap` bytes into buf (pages the
 * loader allocated), its real size in *size (which may exceed cap; then
 * nothing is read).  EFI_NOT_FOUND if there is no such file. */
EFI_STATUS file_read(const struct loader_dir *dir, const char *name, void *buf, uint64_t cap,
		     uint64_t *size);

#endif
