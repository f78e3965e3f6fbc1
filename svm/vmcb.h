/* The Virtual Machine Control Block, AMD APM Vol. 2 appendix B (layout) and
 * 15.5-15.21 (meaning).  Offsets are asserted in vmcb.c. */
#ifndef SHOJI_SVM_VMCB_H
#define SHOJI_SVM_VMCB_H

#include "types.h"

struct vmcb_segment {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
} __attribute__((packed));

struct vmcb_control {
	uint32_t intercept_cr;        /* 0x000 reads 0-15, writes 16-31 */
	uint32_t intercept_dr;        /* 0x004 */
	uint32_t intercept_exceptions;/* 0x008 */
	uint32_t intercept_misc1;     /* 0x00C */
	uint32_t intercept_misc2;     /* 0x010 */
	uint32_t intercept_misc3;     /* 0x014 */
	uint8_t reserved1[0x03C - 0x018];
	uint16_t pause_filter_threshold; /* 0x03C */
	uint16_t pause_filter_count;  /* 0x03E */
	uint64_t iopm_base_pa;        /* 0x040 */
	uint64_t msrpm_base_pa;       /* 0x048 */
	uint64_t tsc_offset;          /* 0x050 */
	uint32_t guest_asid;          /* 0x058 */
	uint8_t tlb_control;          /* 0x05C */
	uint8_t reserved2[3];
	uint64_t int_control;         /* 0x060 V_TPR, V_IRQ, V_INTR_MASKING, vector */
	uint64_t int_state;           /* 0x068 interrupt shadow */
	uint64_t exit_code;           /* 0x070 */
	uint64_t exit_info1;          /* 0x078 */
	uint64_t exit_info2;          /* 0x080 */
	uint64_t exit_int_info;       /* 0x088 */
	uint64_t np_control;          /* 0x090 bit 0: nested paging */
	uint64_t avic_apic_bar;       /* 0x098 */
	uint64_t ghcb_pa;             /* 0x0A0 */
	uint64_t event_inject;        /* 0x0A8 */
	uint64_t n_cr3;               /* 0x0B0 */
	uint64_t virt_ext;            /* 0x0B8 LBR virtualization, virtual VMSAVE/VMLOAD */
	uint32_t clean_bits;          /* 0x0C0 */
	uint32_t reserved3;
	uint64_t next_rip;            /* 0x0C8 */
	uint8_t insn_bytes_fetched;   /* 0x0D0 */
	uint8_t insn_bytes[15];       /* 0x0D1 */
	uint8_t reserved4[0x400 - 0x0E0];
} __attribute__((packed));

struct vmcb_save {
	struct vmcb_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x400 */
	uint8_t reserved1[0x4CB - 0x4A0];
	uint8_t cpl;                  /* 0x4CB */
	uint32_t reserved2;
	uint64_t efer;                /* 0x4D0 */
	uint8_t reserved3[0x548 - 0x4D8];
	uint64_t cr4;                 /* 0x548 */
	uint64_t cr3;                 /* 0x550 */
	uint64_t cr0;                 /* 0x558 */
	uint64_t dr7;                 /* 0x560 */
	uint64_t dr6;                 /* 0x568 */
	uint64_t rflags;              /* 0x570 */
	uint64_t rip;                 /* 0x578 */
	uint8_t reserved4[0x5D8 - 0x580];
	uint64_t rsp;                 /* 0x5D8 */
	uint8_t reserved5[0x5F8 - 0x5E0];
	uint64_t rax;                 /* 0x5F8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base; /* 0x600 */
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;     /* 0x628 */
	uint64_t cr2;                 /* 0x640 */
	uint8_t reserved6[0x668 - 0x648];
	uint64_t g_pat;               /* 0x668 */
	uint64_t dbgctl;              /* 0x670 */
	uint64_t br_from, br_to, last_excp_from, last_excp_to; /* 0x678 */
} __attribute__((packed));

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
	uint8_t reserved[4096 - 0x698];
} __attribute__((packed));

/* intercept_misc1 (0x00C) */
#define INTERCEPT_CR4_WRITE BIT(16 + 4)
#define INTERCEPT_NMI BIT(1)
#define INTERCEPT_SMI BIT(2)
#define INTERCEPT_CPUID BIT(18)
#define INTERCEPT_INVD BIT(22)
#define INTERCEPT_INVLPGA BIT(26)
#define INTERCEPT_IOIO BIT(27)
#define INTERCEPT_MSR BIT(28)
#define INTERCEPT_IRET BIT(20)
#define INTERCEPT_VINTR BIT(4)
#define INTERCEPT_SHUTDOWN BIT(31)
/* intercept_misc2 (0x010) */
#define INTERCEPT_VMRUN BIT(0)
#define INTERCEPT_VMMCALL BIT(1)
#define INTERCEPT_VMLOAD BIT(2)
#define INTERCEPT_VMSAVE BIT(3)
#define INTERCEPT_STGI BIT(4)
#define INTERCEPT_CLGI BIT(5)
#define INTERCEPT_SKINIT BIT(6)

/* Exit codes (APM Vol. 2 appendix C). */
#define VMEXIT_CR4_WRITE 0x14
#define VMEXIT_EXCEPTION_BASE 0x40
#define VMEXIT_DB 0x41
#define VMEXIT_IRET 0x74
#define VMEXIT_INTR 0x60
#define VMEXIT_VINTR 0x64
#define VMEXIT_NMI 0x61
#define VMEXIT_SMI 0x62
#define VMEXIT_INIT 0x63
#define VMEXIT_CPUID 0x72
#define VMEXIT_INVD 0x76
#define VMEXIT_INVLPGA 0x7A
#define VMEXIT_IOIO 0x7B
#define VMEXIT_MSR 0x7C
#define VMEXIT_SHUTDOWN 0x7F
#define VMEXIT_VMRUN 0x80
#define VMEXIT_VMMCALL 0x81
#define VMEXIT_VMLOAD 0x82
#define VMEXIT_VMSAVE 0x83
#define VMEXIT_STGI 0x84
#define VMEXIT_CLGI 0x85
#define VMEXIT_SKINIT 0x86
#define VMEXIT_NPF 0x400
#define VMEXIT_INVALID ((uint64_t)-1)

/* int_control (0x060), APM Vol. 2 15.21.4 */
#define V_IRQ BIT(8)
#define V_INTR_PRIO_SHIFT 16
#define V_IGN_TPR BIT(20)
#define V_INTR_VECTOR_SHIFT 32
/* int_state (0x068) */
#define INT_SHADOW BIT(0)

/* EVENTINJ / EXITINTINFO */
#define EVENT_VALID BIT(31)
#define EVENT_ERROR_VALID BIT(11)
#define EVENT_TYPE_MASK (7u << 8)
#define EVENT_TYPE_NMI (2u << 8)
#define EVENT_TYPE_EXCEPTION (3u << 8)
#define EVENT_TYPE_SOFT_INT (4u << 8)

#endif
