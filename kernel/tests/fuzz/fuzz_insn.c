/* The instruction decoder never reads past what it is given, and its
 * answer is consistent: lengths within 15, fields within the length. */
#include "fuzz.h"
#include "insn.h"

const struct fuzz_seed fuzz_seeds[] = {
	FUZZ_SEED("\x0f\xa2"),
	FUZZ_SEED("\x48\xc7\x05\x01\x02\x03\x04\x05\x06\x07\x08"),
	FUZZ_SEED("\xc4\xe2\x79\x18\x05\x01\x02\x03\x04"),
	FUZZ_SEED("\x62\xf1\x7c\x48\x28\xc1"),
	FUZZ_SEED("\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x90"),
	{ NULL, 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int mode = INSN_MODE_16; mode <= INSN_MODE_64; mode++) {
		for (int vendor = 0; vendor < 2; vendor++) {
			struct insn in;
			enum insn_result r = insn_decode(data, size, mode, vendor, &in);

			if (r == INSN_OK || r == INSN_INVALID) {
				fuzz_check(in.length >= 1 && in.length <= INSN_MAX_LEN);
				fuzz_check(in.length <= size);
				fuzz_check(in.disp_size <= 4 && in.imm_size <= 8);
				fuzz_check((unsigned)in.prefix_count + in.has_modrm + in.has_sib +
						   in.disp_size + in.imm_size < in.length + 1u);
			}
			if (r == INSN_OK && size > in.length) {
				/* More bytes after it change nothing. */
				struct insn again;

				fuzz_check(insn_decode(data, in.length, mode, vendor, &again) == INSN_OK);
				fuzz_check(again.length == in.length);
			}
		}
	}
	return 0;
}
