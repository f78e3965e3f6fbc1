/* x86 instruction decoder (lengths and operand layout).  Facts from the
 * Intel SDM Vol. 2 (2.1 instruction format, appendix A opcode maps) and the
 * AMD APM Vol. 3 (1.2 instruction prefixes, 1.8 VEX/XOP, appendix A). */
#include <string.h>

#include "insn.h"

/* One letter per opcode: what follows the opcode byte.
 *   N nothing             M ModRM              b imm8 (also rel8)
 *   z imm16/32 (by operand size)                v imm16/32/64 (B8-BF)
 *   w imm16               e imm16 + imm8       B ModRM + imm8
 *   Z ModRM + imm16/32    o moffs (address size)
 *   f far pointer, not in 64-bit mode          J rel16/32 near branch
 *   F F6/F7 group: ModRM, plus an immediate when reg is 0 or 1 (TEST)
 *   P prefix (handled before the table)        x no operands, not in 64-bit mode
 *   y imm8, not in 64-bit mode                 X ModRM + imm8, not in 64-bit mode
 *   V VEX, EVEX or XOP escape (C4 C5 62 8F), else the legacy meaning
 *   E 0F escape           u undefined (#UD)    3 3DNow! (ModRM, then an opcode byte)
 *   S 0F 38 / 0F 3A escape                     C MOV to/from CR/DR (ModRM, register form)
 *   A 0F 78: VMREAD, or AMD's EXTRQ/INSERTQ with two imm8 under 66/F2 */
static const char one_byte_map[256 + 1] =
	"MMMMbzxxMMMMbzxE"  /* 00 */
	"MMMMbzxxMMMMbzxx"  /* 10 */
	"MMMMbzPxMMMMbzPx"  /* 20 */
	"MMMMbzPxMMMMbzPx"  /* 30 */
	"NNNNNNNNNNNNNNNN"  /* 40: INC/DEC, or REX in 64-bit mode */
	"NNNNNNNNNNNNNNNN"  /* 50 */
	"xxVMPPPPzZbBNNNN"  /* 60 */
	"bbbbbbbbbbbbbbbb"  /* 70 */
	"BZXBMMMMMMMMMMMV"  /* 80 */
	"NNNNNNNNNNfNNNNN"  /* 90 */
	"ooooNNNNbzNNNNNN"  /* A0 */
	"bbbbbbbbvvvvvvvv"  /* B0 */
	"BBwNVVBZeNwNNbxN"  /* C0 */
	"MMMMyyxNMMMMMMMM"  /* D0 */
	"bbbbbbbbJJfbNNNN"  /* E0 */
	"PNPPNNFFNNNNNNMM"; /* F0 */

static const char two_byte_map[256 + 1] =
	"MMMMuNNNNNuNuMN3"  /* 0F 00 */
	"MMMMMMMMMMMMMMMM"  /* 0F 10 */
	"CCCCuuuuMMMMMMMM"  /* 0F 20 */
	"NNNNNNuNSuSuuuuu"  /* 0F 30 */
	"MMMMMMMMMMMMMMMM"  /* 0F 40 */
	"MMMMMMMMMMMMMMMM"  /* 0F 50 */
	"MMMMMMMMMMMMMMMM"  /* 0F 60 */
	"BBBBMMMNAMuuMMMM"  /* 0F 70 */
	"JJJJJJJJJJJJJJJJ"  /* 0F 80 */
	"MMMMMMMMMMMMMMMM"  /* 0F 90 */
	"NNNMBMuuNNNMBMMM"  /* 0F A0 */
	"MMMMMMMMMMBMMMMM"  /* 0F B0 */
	"MMBMBBBMNNNNNNNN"  /* 0F C0 */
	"MMMMMMMMMMMMMMMM"  /* 0F D0 */
	"MMMMMMMMMMMMMMMM"  /* 0F E0 */
	"MMMMMMMMMMMMMMMM"; /* 0F F0 */

struct cursor {
	const uint8_t *bytes;
	size_t avail, pos;
	bool short_input;
};

static uint8_t take(struct cursor *c)
{
	if (c->pos >= c->avail) {
		c->short_input = true;
		c->pos++;
		return 0;
	}
	return c->bytes[c->pos++];
}

static uint64_t take_le(struct cursor *c, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)take(c) << (8 * i);
	return v;
}

static int64_t sign_extend(uint64_t v, unsigned bytes)
{
	if (bytes == 0 || bytes >= 8)
		return (int64_t)v;
	unsigned shift = 64 - 8 * bytes;

	return (int64_t)(v << shift) >> shift;
}

static int8_t segment_of_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: return 0;
	case 0x2E: return 1;
	case 0x36: return 2;
	case 0x3E: return 3;
	case 0x64: return 4;
	case 0x65: return 5;
	default: return -1;
	}
}

static bool is_legacy_prefix(uint8_t b)
{
	return b == 0xF0 || b == 0xF2 || b == 0xF3 || b == 0x66 || b == 0x67 ||
	       segment_of_prefix(b) >= 0;
}

/* ModRM, SIB and displacement.  `register_form` forces mod = 3 semantics
 * (MOV CR/DR ignore mod). */
static void decode_modrm(struct cursor *c, struct insn *in, bool register_form)
{
	in->has_modrm = true;
	in->modrm = take(c);
	unsigned mod = in->modrm >> 6, rm = in->modrm & 7;

	if (register_form || mod == 3)
		return;
	if (in->address_size == 2) {
		if (mod == 0 && rm == 6)
			in->disp_size = 2;
		else if (mod == 1)
			in->disp_size = 1;
		else if (mod == 2)
			in->disp_size = 2;
	} else {
		if (rm == 4) {
			in->has_sib = true;
			in->sib = take(c);
			if (mod == 0 && (in->sib & 7) == 5)
				in->disp_size = 4;
		}
		if (mod == 0 && rm == 5)
			in->disp_size = 4;
		else if (mod == 1)
			in->disp_size = 1;
		else if (mod == 2)
			in->disp_size = 4;
	}
	in->disp = sign_extend(take_le(c, in->disp_size), in->disp_size);
}

static void take_imm(struct cursor *c, struct insn *in, unsigned size)
{
	in->imm_size = (uint8_t)size;
	in->imm = take_le(c, size);
}

static unsigned imm_z(const struct insn *in)
{
	return in->operand_size == 2 ? 2 : 4;
}

/* VEX (C4, C5), EVEX (62) and XOP (8F) encoded instructions. */
static enum insn_result decode_vex_family(struct cursor *c, struct insn *in, uint8_t escape)
{
	unsigned map;

	in->vex = true;
	if (in->rex || in->lock || in->rep || in->repne || in->opsize_prefix)
		return INSN_INVALID; /* SDM 2.3.2: these prefixes before VEX are #UD */
	if (escape == 0xC5) {
		take(c);
		map = 1;
	} else if (escape == 0xC4 || escape == 0x8F) {
		map = take(c) & 0x1F;
		take(c);
	} else { /* 0x62 EVEX: P0 P1 P2 */
		map = take(c) & 0x07;
		take(c);
		take(c);
	}
	in->opcode = take(c);
	if (escape == 0x8F) {
		if (map < 8 || map > 10)
			return INSN_INVALID;
		in->map = map == 8 ? MAP_XOP8 : map == 9 ? MAP_XOP9 : MAP_XOPA;
		decode_modrm(c, in, false);
		if (map == 8)
			take_imm(c, in, 1);
		else if (map == 10)
			take_imm(c, in, 4);
		return INSN_OK;
	}
	switch (map) {
	case 1: in->map = MAP_0F; break;
	case 2: in->map = MAP_0F38; break;
	case 3: in->map = MAP_0F3A; break;
	case 5: case 6:
		if (escape != 0x62)
			return INSN_INVALID;
		in->map = MAP_0F38; /* EVEX maps 5 and 6 (FP16): ModRM, no immediate */
		break;
	default: return INSN_INVALID;
	}
	if (in->map == MAP_0F && in->opcode == 0x77 && escape != 0x62)
		return INSN_OK; /* VZEROUPPER / VZEROALL */
	decode_modrm(c, in, false);
	if (in->map == MAP_0F3A ||
	    (in->map == MAP_0F && ((in->opcode >= 0x70 && in->opcode <= 0x73) ||
				   in->opcode == 0xC2 || (in->opcode >= 0xC4 && in->opcode <= 0xC6))))
		take_imm(c, in, 1);
	return INSN_OK;
}

/* Applies one opcode-table letter. */
static enum insn_result decode_operands(struct cursor *c, struct insn *in, char kind,
					enum insn_mode mode, enum insn_vendor vendor)
{
	bool m64 = mode == INSN_MODE_64;

	switch (kind) {
	case 'N': return INSN_OK;
	case 'M': decode_modrm(c, in, false); return INSN_OK;
	case 'C': decode_modrm(c, in, true); return INSN_OK;
	case 'b': take_imm(c, in, 1); return INSN_OK;
	case 'z': take_imm(c, in, imm_z(in)); return INSN_OK;
	case 'v': take_imm(c, in, in->operand_size); return INSN_OK;
	case 'w': take_imm(c, in, 2); return INSN_OK;
	case 'e': take_imm(c, in, 3); return INSN_OK;
	case 'B': decode_modrm(c, in, false); take_imm(c, in, 1); return INSN_OK;
	case 'Z': decode_modrm(c, in, false); take_imm(c, in, imm_z(in)); return INSN_OK;
	case 'o': take_imm(c, in, in->address_size); return INSN_OK;
	case 'J':
		/* 64-bit mode: Intel ignores 66 on near branches, AMD honours it. */
		take_imm(c, in, m64 && vendor == INSN_VENDOR_INTEL ? 4 : imm_z(in));
		return INSN_OK;
	case 'F':
		decode_modrm(c, in, false);
		if (((in->modrm >> 3) & 7) < 2)
			take_imm(c, in, in->opcode == 0xF6 ? 1 : imm_z(in));
		return INSN_OK;
	case 'f':
		if (m64)
			return INSN_INVALID;
		take_imm(c, in, (unsigned)imm_z(in) + 2);
		return INSN_OK;
	case 'x': return m64 ? INSN_INVALID : INSN_OK;
	case 'y':
		if (m64)
			return INSN_INVALID;
		take_imm(c, in, 1);
		return INSN_OK;
	case 'X':
		if (m64)
			return INSN_INVALID;
		decode_modrm(c, in, false);
		take_imm(c, in, 1);
		return INSN_OK;
	case '3':
		in->map = MAP_3DNOW;
		decode_modrm(c, in, false);
		in->opcode = take(c); /* the real opcode comes last */
		return INSN_OK;
	case 'A':
		decode_modrm(c, in, false);
		if (vendor == INSN_VENDOR_AMD && (in->opsize_prefix || in->repne))
			take_imm(c, in, 2); /* EXTRQ / INSERTQ: imm8, imm8 */
		return INSN_OK;
	default: return INSN_INVALID; /* 'u', and 'P'/'E'/'S'/'V' never reach here */
	}
}

enum insn_result insn_decode(const uint8_t *bytes, size_t avail, enum insn_mode mode,
			     enum insn_vendor vendor, struct insn *out)
{
	struct cursor c = { bytes, MIN(avail, (size_t)INSN_MAX_LEN + 1), 0, false };
	struct insn *in = out;
	enum insn_result r;
	uint8_t b;

	*in = (struct insn){ .segment = -1 };
	/* Prefixes: legacy ones in any order; in 64-bit mode a REX counts only
	 * if it comes last (SDM 2.2.1). */
	for (;;) {
		if (c.pos >= INSN_MAX_LEN)
			return INSN_TOO_LONG; /* no room left for an opcode */
		b = take(&c);
		if (c.short_input)
			return INSN_TRUNCATED;
		if (is_legacy_prefix(b)) {
			in->prefix_count++;
			in->rex = 0;
			if (b == 0x66) in->opsize_prefix = true;
			else if (b == 0x67) in->addrsize_prefix = true;
			else if (b == 0xF0) in->lock = true;
			else if (b == 0xF3) { in->rep = true; in->repne = false; }
			else if (b == 0xF2) { in->repne = true; in->rep = false; }
			else in->segment = segment_of_prefix(b);
		} else if (mode == INSN_MODE_64 && (b & 0xF0) == 0x40) {
			in->rex = b;
		} else {
			break;
		}
	}

	switch (mode) {
	case INSN_MODE_16:
		in->operand_size = in->opsize_prefix ? 4 : 2;
		in->address_size = in->addrsize_prefix ? 4 : 2;
		break;
	case INSN_MODE_32:
		in->operand_size = in->opsize_prefix ? 2 : 4;
		in->address_size = in->addrsize_prefix ? 2 : 4;
		break;
	case INSN_MODE_64:
		in->operand_size = (in->rex & 0x08) ? 8 : in->opsize_prefix ? 2 : 4;
		in->address_size = in->addrsize_prefix ? 4 : 8;
		break;
	}

	in->opcode = b;
	in->map = MAP_ONE;
	char kind = one_byte_map[b];

	if (kind == 'V') {
		/* Outside 64-bit mode C4, C5 and 62 are VEX/EVEX only when the
		 * next byte would be a register-form ModRM (mod = 3); 8F is XOP
		 * when the next byte's map field is 8 or more. */
		uint8_t next = c.pos < c.avail ? bytes[c.pos] : 0;
		bool escape = b == 0x8F ? (next & 0x1F) >= 8
					: mode == INSN_MODE_64 || (next & 0xC0) == 0xC0;

		if (c.pos >= c.avail)
			return INSN_TRUNCATED;
		if (escape) {
			r = decode_vex_family(&c, in, b);
			goto done;
		}
		kind = 'M'; /* LES, LDS, BOUND or POP r/m */
	} else if (kind == 'E') {
		b = take(&c);
		in->opcode = b;
		in->map = MAP_0F;
		kind = two_byte_map[b];
		if (kind == 'S') {
			in->map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
			in->opcode = take(&c);
			kind = b == 0x38 ? 'M' : 'B';
		}
	}
	r = decode_operands(&c, in, kind, mode, vendor);
done:
	if (c.pos > INSN_MAX_LEN)
		return INSN_TOO_LONG;
	if (c.short_input)
		return INSN_TRUNCATED;
	in->length = (uint8_t)c.pos;
	return r;
}
