/* See boot_next.h.  Boot options: UEFI 2.10 3.1.3 (EFI_LOAD_OPTION) and
 * 3.1.2 (removable media: \EFI\BOOT\BOOTX64.EFI on a device path that
 * names no file). */
#include <string.h>

#include "boot_next.h"
#include "efi_util.h"

static EFI_SYSTEM_TABLE *sys;

/* Reads a global variable into a pool buffer; NULL if absent. */
static void *var_get(const char *name, UINTN *size)
{
	EFI_GUID global = EFI_GLOBAL_VARIABLE;
	CHAR16 wname[16];
	void *buf = NULL;
	size_t i = 0;

	for (; name[i] && i + 1 < ARRAY_SIZE(wname); i++)
		wname[i] = (CHAR16)name[i];
	wname[i] = 0;
	*size = 0;
	if (sys->RuntimeServices->GetVariable(wname, &global, NULL, size, NULL) !=
		    EFI_BUFFER_TOO_SMALL ||
	    EFI_ERROR(sys->BootServices->AllocatePool(EfiLoaderData, *size, &buf)))
		return NULL;
	if (EFI_ERROR(sys->RuntimeServices->GetVariable(wname, &global, NULL, size, buf))) {
		sys->BootServices->FreePool(buf);
		return NULL;
	}
	return buf;
}

struct load_option {
	UINT32 attributes;
	EFI_DEVICE_PATH *path;
	UINTN path_size;
	void *data;
	UINTN data_size;
	void *buf; /* the variable, to free */
};

/* Boot#### (hex) parsed; false if absent or malformed. */
static bool option_get(UINT16 n, struct load_option *o)
{
	static const char hex[] = "0123456789ABCDEF";
	char name[9] = "Boot";
	UINTN size;

	for (int i = 0; i < 4; i++)
		name[4 + i] = hex[(n >> (12 - 4 * i)) & 0xF];
	name[8] = '\0';
	uint8_t *p = var_get(name, &size);

	if (!p)
		return false;
	UINT16 path_size;
	size_t off = 6;

	memcpy(&o->attributes, p, 4);
	memcpy(&path_size, p + 4, 2);
	/* The description: a NUL-terminated UCS-2 string. */
	while (off + 2 <= size && (p[off] || p[off + 1]))
		off += 2;
	off += 2;
	if (off + path_size > size) {
		sys->BootServices->FreePool(p);
		return false;
	}
	o->path = (EFI_DEVICE_PATH *)(p + off);
	o->path_size = path_size;
	o->data = p + off + path_size;
	o->data_size = size - off - path_size;
	o->buf = p;
	return true;
}

static bool path_has_fv_file(const EFI_DEVICE_PATH *p, UINTN size)
{
	const uint8_t *end = (const uint8_t *)p + size;

	for (; (const uint8_t *)p + 4 <= end && !IsDevicePathEndType(p) &&
	       DevicePathNodeLength(p) >= 4;
	     p = NextDevicePathNode(p))
		if (DevicePathType(p) == MEDIA_DEVICE_PATH &&
		    DevicePathSubType(p) == MEDIA_PIWG_FW_FILE_DP)
			return true;
	return false;
}

/* The byte length of a device path without its end node. */
static UINTN path_len(const EFI_DEVICE_PATH *p)
{
	const EFI_DEVICE_PATH *start = p;

	while (!IsDevicePathEndType(p))
		p = NextDevicePathNode(p);
	return (UINTN)((const uint8_t *)p - (const uint8_t *)start);
}

/* A removable-media option: the first file system under the option's
 * device with \EFI\BOOT\BOOTX64.EFI. */
static EFI_STATUS load_removable(EFI_HANDLE image, const struct load_option *o, EFI_HANDLE *out)
{
	static const char file[] = "\\EFI\\BOOT\\BOOTX64.EFI";
	EFI_GUID fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL, dp_guid = DEVICE_PATH_PROTOCOL;
	EFI_HANDLE *handles;
	UINTN count;
	UINTN want = o->path_size >= 4 ? path_len(o->path) : 0;
	EFI_STATUS s = sys->BootServices->LocateHandleBuffer(ByProtocol, &fs_guid, NULL, &count,
							     &handles);

	if (EFI_ERROR(s))
		return s;
	s = EFI_NOT_FOUND;
	for (UINTN i = 0; i < count && EFI_ERROR(s); i++) {
		EFI_DEVICE_PATH *dp;

		if (EFI_ERROR(sys->BootServices->HandleProtocol(handles[i], &dp_guid, (void **)&dp)))
			continue;
		UINTN have = path_len(dp);

		if (have < want || memcmp(dp, o->path, want) != 0)
			continue;
		/* dp, then a file-path node, then the end node. */
		UINTN node = 4 + sizeof(file) * 2;
		uint8_t *full;

		if (EFI_ERROR(sys->BootServices->AllocatePool(EfiLoaderData, have + node + 4,
							      (void **)&full)))
			break;
		memcpy(full, dp, have);
		FILEPATH_DEVICE_PATH *f = (FILEPATH_DEVICE_PATH *)(full + have);

		f->Header.Type = MEDIA_DEVICE_PATH;
		f->Header.SubType = MEDIA_FILEPATH_DP;
		f->Header.Length[0] = (UINT8)node;
		f->Header.Length[1] = (UINT8)(node >> 8);
		for (size_t k = 0; k < sizeof(file); k++)
			f->PathName[k] = (CHAR16)file[k];
		uint8_t *endn = full + have + node;

		endn[0] = END_DEVICE_PATH_TYPE;
		endn[1] = END_ENTIRE_DEVICE_PATH_SUBTYPE;
		endn[2] = 4;
		endn[3] = 0;
		s = sys->BootServices->LoadImage(FALSE, image, (EFI_DEVICE_PATH *)full, NULL, 0, out);
		sys->BootServices->FreePool(full);
	}
	sys->BootServices->FreePool(handles);
	return s;
}

EFI_STATUS boot_next_option(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_GUID li_guid = LOADED_IMAGE_PROTOCOL;
	UINTN size, order_size;
	UINT16 *current, *order;
	struct load_option self;
	EFI_STATUS s = EFI_NOT_FOUND;

	sys = st;
	if (!(current = var_get("BootCurrent", &size)) || size != 2)
		return EFI_NOT_FOUND;
	if (!(order = var_get("BootOrder", &order_size)))
		return EFI_NOT_FOUND;
	if (!option_get(*current, &self))
		return EFI_NOT_FOUND;
	bool started_as_option = !path_has_fv_file(self.path, self.path_size);
	UINTN i = 0, n = order_size / 2;

	while (i < n && order[i] != *current)
		i++;
	for (i++; started_as_option && i < n; i++) {
		struct load_option o;
		EFI_HANDLE next;
		EFI_LOADED_IMAGE *li;

		if (!option_get(order[i], &o))
			continue;
		if (!(o.attributes & 1) || (o.path_size == self.path_size &&
					    !memcmp(o.path, self.path, o.path_size))) {
			sys->BootServices->FreePool(o.buf);
			continue; /* inactive, or the loader itself again */
		}
		s = sys->BootServices->LoadImage(FALSE, image, o.path, NULL, 0, &next);
		if (EFI_ERROR(s))
			s = load_removable(image, &o, &next);
		if (EFI_ERROR(s)) {
			say("Boot%04X does not load (%s); trying the next", order[i], efi_status_name(s));
			sys->BootServices->FreePool(o.buf);
			continue;
		}
		if (!EFI_ERROR(sys->BootServices->HandleProtocol(next, &li_guid, (void **)&li))) {
			li->LoadOptions = o.data;
			li->LoadOptionsSize = (UINT32)o.data_size;
		}
		say("starting Boot%04X, the boot option after the loader's", order[i]);
		s = sys->BootServices->StartImage(next, NULL, NULL);
		break;
	}
	return started_as_option ? s : EFI_NOT_FOUND;
}
