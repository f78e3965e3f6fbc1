/* A small deterministic fuzz driver for builds without libFuzzer: runs the
 * seeds, then N mutated inputs (bit flips, byte sets, splices of seeds,
 * truncations, insertions), always the same sequence for the same N. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static uint64_t rng_state = 0x243F6A8885A308D3ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

#define MAX_INPUT 8192

/* Writes the seeds as files, the starting corpus for libFuzzer. */
static int write_seeds(const char *dir)
{
	for (unsigned i = 0; fuzz_seeds[i].data; i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/seed-%u", dir, i);
		FILE *f = fopen(path, "wb");

		if (!f || fwrite(fuzz_seeds[i].data, 1, fuzz_seeds[i].len, f) != fuzz_seeds[i].len) {
			perror(path);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
		return write_seeds(argv[2]);
	long runs = argc > 1 ? atol(argv[1]) : 50000;
	static uint8_t buf[MAX_INPUT];
	unsigned nseeds = 0;

	while (fuzz_seeds[nseeds].data)
		nseeds++;
	for (unsigned i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(fuzz_seeds[i].data, fuzz_seeds[i].len);
	for (long r = 0; r < runs; r++) {
		size_t len;

		if (nseeds && rng() % 8) {
			const struct fuzz_seed *s = &fuzz_seeds[rng() % nseeds];

			len = s->len;
			memcpy(buf, s->data, len);
		} else {
			len = rng() % 512;
			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)rng();
		}
		for (unsigned m = (unsigned)(rng() % 6) + 1; m; m--) {
			size_t at = len ? rng() % len : 0;

			switch (rng() % 6) {
			case 0: /* flip a bit */
				if (len)
					buf[at] ^= (uint8_t)(1u << (rng() % 8));
				break;
			case 1: /* set an interesting byte */
				if (len) {
					static const uint8_t vals[] = { 0, 0xFF, '=', '"', ' ', '\n', '.',
									0x7F, 0x80, '#' };
					buf[at] = vals[rng() % sizeof(vals)];
				}
				break;
			case 2: /* truncate */
				len = at;
				break;
			case 3: /* splice in part of another seed */
				if (nseeds) {
					const struct fuzz_seed *s = &fuzz_seeds[rng() % nseeds];
					size_t n = s->len, k = n ? rng() % n : 0;

					if (at + (n - k) < MAX_INPUT) {
						memcpy(buf + at, (const uint8_t *)s->data + k, n - k);
						len = at + (n - k) > len ? at + (n - k) : len;
					}
				}
				break;
			case 4: /* duplicate a chunk */
				if (len && len * 2 < MAX_INPUT) {
					memcpy(buf + len, buf, len);
					len *= 2;
				}
				break;
			default: /* random byte */
				if (len)
					buf[at] = (uint8_t)rng();
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz: %u seeds and %ld mutated inputs, no invariant broken\n", nseeds, runs);
	return 0;
}
