/* SHA-256 (FIPS 180-4), for the loader's check of shoji.bin against the
 * digest built into it: under Secure Boot the firmware verifies the signed
 * loader, and the loader's digest carries that trust to the image. */
#ifndef SHOJI_SHA256_H
#define SHOJI_SHA256_H

#include "types.h"

#define SHA256_DIGEST_SIZE 32

void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
