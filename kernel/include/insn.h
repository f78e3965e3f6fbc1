/* x86 instruction decoding: lengths and operand layout, for exits whose
 * instruction the hardware does not describe (SVM without next-RIP save or
 * decode assists, as in QEMU).  Pure logic: host-tested against a table of
 * known encodings, against capstone, and fuzzed. */
#ifndef SHOJI_INSN_H
#define SHOJI_INSN_H

#include "types.h"

#define INSN_MAX_LEN 15

enum insn_mode { INSN_MODE_16, INSN_MODE_32, INSN_MODE_64 };

/* Where opcode maps differ between vendors (66-prefixed near branches in
 * 64-bit mode), decode as the CPU we run on does. */
enum insn_vendor { INSN_VENDOR_INTEL, INSN_VENDOR_AMD };

enum insn_map { MAP_ONE, MAP_0F, MAP_0F38, MAP_0F3A, MAP_3DNOW, MAP_XOP8, MAP_XOP9, MAP_XOPA };

struct insn {
	uint8_t length;
	uint8_t prefix_count;   /* legacy prefixes */
	bool opsize_prefix;     /* 66 */
	bool addrsize_prefix;   /* 67 */
	bool lock, rep, repne;
	int8_t segment;         /* override: 0..5 = ES CS SS DS FS GS, -1 none */
	uint8_t rex;            /* 0 if none */
	bool vex;               /* VEX, EVEX or XOP encoded */
	enum insn_map map;
	uint8_t opcode;
	bool has_modrm;
	uint8_t modrm, sib;
	bool has_sib;
	uint8_t disp_size, imm_size;
	int64_t disp;
	uint64_t imm;
	uint8_t operand_size;   /* 2, 4 or 8 bytes */
	uint8_t address_size;   /* 2, 4 or 8 bytes */
};

enum insn_result {
	INSN_OK,
	INSN_TRUNCATED, /* needs more bytes than were given */
	INSN_TOO_LONG,  /* longer than 15 bytes: the CPU raises #GP */
	INSN_INVALID,   /* an opcode that does not exist in this mode (#UD) */
};

enum insn_result insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode,
			     enum insn_vendor vendor, struct insn *out);

#endif
