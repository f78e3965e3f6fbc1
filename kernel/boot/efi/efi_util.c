/* See efi_util.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "efi_util.h"

static EFI_SYSTEM_TABLE *sys;

void con_init(EFI_SYSTEM_TABLE *st)
{
	sys = st;
}

void say(const char *fmt, ...)
{
	char msg[600];
	CHAR16 wide[620];
	size_t k = 0;
	va_list ap;
	int n = snprintf(msg, sizeof(msg), "shoji loader: ");

	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	for (size_t i = 0; msg[i] && k + 3 < ARRAY_SIZE(wide); i++)
		wide[k++] = (CHAR16)(unsigned char)msg[i];
	wide[k++] = '\r';
	wide[k++] = '\n';
	wide[k] = 0;
	sys->ConOut->OutputString(sys->ConOut, wide);
}

const char *efi_status_name(EFI_STATUS s)
{
	switch (s) {
	case EFI_SUCCESS: return "success";
	case EFI_NOT_FOUND: return "not found";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_SECURITY_VIOLATION: return "security violation";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	default: return "error";
	}
}

static void to_wide(CHAR16 *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src[i] && i + 1 < cap; i++)
		dst[i] = (CHAR16)(unsigned char)src[i];
	dst[i] = 0;
}

EFI_STATUS dir_open(EFI_HANDLE image, struct loader_dir *dir, char *why, size_t why_size)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL, fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
	EFI_LOADED_IMAGE *li;
	EFI_FILE_IO_INTERFACE *fs;
	EFI_STATUS s;
	size_t n = 0;

	s = sys->BootServices->HandleProtocol(image, &li_guid, (void **)&li);
	if (EFI_ERROR(s)) {
		snprintf(why, why_size, "no loaded-image protocol (%s)", efi_status_name(s));
		return s;
	}
	s = sys->BootServices->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&fs);
	if (EFI_ERROR(s)) {
		snprintf(why, why_size, "the loader's device has no file system (%s)",
			 efi_status_name(s));
		return s;
	}
	s = fs->OpenVolume(fs, &dir->root);
	if (EFI_ERROR(s)) {
		snprintf(why, why_size, "cannot open the loader's volume (%s)", efi_status_name(s));
		return s;
	}
	/* The file path: media file-path nodes (type 4, subtype 4), joined. */
	for (EFI_DEVICE_PATH *p = li->FilePath; p && !IsDevicePathEndType(p);
	     p = NextDevicePathNode(p)) {
		if (DevicePathType(p) != MEDIA_DEVICE_PATH || DevicePathSubType(p) != MEDIA_FILEPATH_DP)
			continue;
		const CHAR16 *name = ((FILEPATH_DEVICE_PATH *)p)->PathName;
		size_t len = (DevicePathNodeLength(p) - 4) / 2;

		if (n && dir->path[n - 1] != '\\' && n + 1 < sizeof(dir->path))
			dir->path[n++] = '\\';
		for (size_t i = 0; i < len && name[i] && n + 1 < sizeof(dir->path); i++)
			dir->path[n++] = name[i] == '/' ? '\\' : (char)name[i];
	}
	dir->path[n] = '\0';
	/* Cut the loader's own name; what is left ends in '\'. */
	char *slash = strrchr(dir->path, '\\');

	if (slash)
		slash[1] = '\0';
	else
		strlcpy(dir->path, "\\", sizeof(dir->path));
	return EFI_SUCCESS;
}

EFI_STATUS file_read(const struct loader_dir *dir, const char *name, void *buf, uint64_t cap,
		     uint64_t *size)
{
	EFI_GUID info_guid = EFI_FILE_INFO_ID;
	char path[300];
	CHAR16 wpath[300];
	EFI_FILE_HANDLE f;
	union { EFI_FILE_INFO info; char space[SIZE_OF_EFI_FILE_INFO + 512]; } info;
	UINTN info_size = sizeof(info), n;
	EFI_STATUS s;

	snprintf(path, sizeof(path), "%s%s", dir->path, name);
	to_wide(wpath, ARRAY_SIZE(wpath), path);
	s = dir->root->Open(dir->root, &f, wpath, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s))
		return s;
	s = f->GetInfo(f, &info_guid, &info_size, &info);
	if (!EFI_ERROR(s)) {
		*size = info.info.FileSize;
		n = (UINTN)info.info.FileSize;
		if (*size <= cap) {
			s = f->Read(f, &n, buf);
			if (!EFI_ERROR(s) && n != *size)
				s = EFI_DEVICE_ERROR; /* a short read: say so, never use it */
		}
	}
	f->Close(f);
	return s;
}
