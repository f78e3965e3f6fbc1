/* Fuzz targets: each file defines LLVMFuzzerTestOneInput and checks its
 * invariants with fuzz_check, which aborts (a finding) when one fails.
 * Built twice: with clang's libFuzzer when clang is installed, and always
 * with gcc, the sanitizers and fuzz_driver.c (deterministic mutations). */
#ifndef SHOJI_FUZZ_H
#define SHOJI_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs the driver starts its mutations from; ends with { NULL, 0 }. */
struct fuzz_seed {
	const void *data;
	size_t len;
};
#define FUZZ_SEED(s) { s, sizeof(s) - 1 }
extern const struct fuzz_seed fuzz_seeds[];

#define fuzz_check(cond)                                                          \
	do {                                                                      \
		if (!(cond)) {                                                    \
			fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                              \
			abort();                                                  \
		}                                                                 \
	} while (0)

#endif
