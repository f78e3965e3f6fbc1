#include "errors.h"
#include "types.h"

const char *err_name(enum err e)
{
	static const char *const names[] = {
		[E_OK] = "ok",
		[E_INVAL] = "invalid input",
		[E_RANGE] = "out of range",
		[E_NOMEM] = "out of memory",
		[E_NOTFOUND] = "not found",
		[E_FAULT] = "access fault",
		[E_UNSUPP] = "not supported",
		[E_EXISTS] = "already exists",
		[E_DENIED] = "permission denied",
		[E_DEAD] = "domain crashed or restarted",
		[E_BUSY] = "domain busy",
	};

	return (unsigned)e < ARRAY_SIZE(names) && names[e] ? names[e] : "unknown error";
}
