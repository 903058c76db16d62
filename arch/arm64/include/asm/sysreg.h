/*
 * System register field values used by head.S and C++. Plain #defines so assembly can use
 * them; each value says which architectural fields it sets (ARM ARM DDI 0487).
 */
#pragma once

#define BIT(n) (1 << (n))
#define BITL(n) (1UL << (n))

/* CurrentEL encodings. */
#define CurrentEL_EL1 (1 << 2)
#define CurrentEL_EL2 (2 << 2)
#define CurrentEL_EL3 (3 << 2)

/* SPSR: all of DAIF masked, return to EL1h / EL2h (SP_ELx). */
#define PSR_MODE_EL0t 0x0
#define PSR_MODE_EL1h 0x5
#define PSR_MODE_EL2h 0x9
#define PSR_DAIF_MASK 0x3c0
#define PSR_I_BIT 0x80
#define INIT_PSTATE_EL1 (PSR_DAIF_MASK | PSR_MODE_EL1h)
#define INIT_PSTATE_EL2 (PSR_DAIF_MASK | PSR_MODE_EL2h)
#define PSR_PAN_BIT BITL(22)

/* SCR_EL3: NS (EL2/EL1 non-secure), RES1 bits 5:4, SMD=0 (SMC stays enabled for PSCI
 * firmware if any), HCE (HVC enabled), RW (the next lower EL is AArch64). */
#define SCR_EL3_NS BIT(0)
#define SCR_EL3_RES1 (BIT(4) | BIT(5))
#define SCR_EL3_HCE BIT(8)
#define SCR_EL3_RW BIT(10)
#define INIT_SCR_EL3 (SCR_EL3_NS | SCR_EL3_RES1 | SCR_EL3_HCE | SCR_EL3_RW)

/* HCR_EL2: only RW (EL1 is AArch64). No stage 2, no traps: the kernel owns EL1. */
#define HCR_RW BITL(31)
#define INIT_HCR_EL2 HCR_RW

/* CNTHCTL_EL2: EL1PCTEN | EL1PCEN, EL1 may read the physical counter and use its timer. */
#define INIT_CNTHCTL_EL2 (BIT(0) | BIT(1))

/* CPTR_EL2 (non-VHE): RES1 bits 13:12 and 9:0, TFP (bit 10) clear so FP/SIMD does not trap. */
#define INIT_CPTR_EL2 0x33ff

/* CPACR_EL1.FPEN = 0b11: FP/SIMD usable at EL1 and EL0 (libfdt and user programs use it). */
#define CPACR_EL1_FPEN (3 << 20)

/* SCTLR_ELx RES1 bits with the MMU and caches off, little-endian. */
#define SCTLR_EL2_RES1 0x30c50830
#define SCTLR_EL1_RES1 ((1 << 11) | (1 << 20) | (1 << 22) | (1 << 28) | (1 << 29))
#define SCTLR_EL1_SPAN BIT(23)
#define INIT_SCTLR_EL1_MMU_OFF (SCTLR_EL1_RES1 | SCTLR_EL1_SPAN)

/* SCTLR_EL1 with the MMU on:
 *   M (0) MMU, C (2) data cache, SA (3)/SA0 (4) stack alignment checks at EL1/EL0,
 *   I (12) instruction cache, DZE (14) EL0 may use DC ZVA (libc memset does),
 *   UCT (15) EL0 may read CTR_EL0, nTWI (16)/nTWE (18) WFI/WFE at EL0 do not trap,
 *   WXN (19) stays clear, as on Linux: it would make every writable mapping execute-never for
 *   EL0 too, so a user RWX page (a JIT's) would fault forever. The kernel's own W^X comes from
 *   its page tables (PXN on everything but text, text read-only), which the boot self-test
 *   and ptdump's W+X check verify.
 *   UCI (26) EL0 cache maintenance (JITs, libc), SPAN (23) set: PSTATE.PAN is not changed by
 *   exceptions until PAN support turns it on explicitly. */
#define SCTLR_ELx_M BIT(0)
#define SCTLR_ELx_C BIT(2)
#define SCTLR_ELx_SA BIT(3)
#define SCTLR_EL1_SA0 BIT(4)
#define SCTLR_ELx_I BIT(12)
#define SCTLR_EL1_DZE BIT(14)
#define SCTLR_EL1_UCT BIT(15)
#define SCTLR_EL1_nTWI BIT(16)
#define SCTLR_EL1_nTWE BIT(18)
#define SCTLR_ELx_WXN BIT(19)
#define SCTLR_EL1_UCI BIT(26)
#define INIT_SCTLR_EL1_MMU_ON                                                              \
	(SCTLR_EL1_RES1 | SCTLR_EL1_SPAN | SCTLR_ELx_M | SCTLR_ELx_C | SCTLR_ELx_SA |       \
	 SCTLR_EL1_SA0 | SCTLR_ELx_I | SCTLR_EL1_DZE | SCTLR_EL1_UCT | SCTLR_EL1_nTWI |     \
	 SCTLR_EL1_nTWE | SCTLR_EL1_UCI)

/* MAIR_EL1 attribute indices, in Linux 6.1's order. */
#define MT_NORMAL 0
#define MT_NORMAL_TAGGED 1
#define MT_NORMAL_NC 2
#define MT_DEVICE_nGnRnE 3
#define MT_DEVICE_nGnRE 4
#define MAIR_ATTR_NORMAL 0xff /* Inner/Outer Write-Back Non-transient, RW-allocate */
#define MAIR_ATTR_NORMAL_NC 0x44
#define MAIR_ATTR_DEVICE_nGnRnE 0x00
#define MAIR_ATTR_DEVICE_nGnRE 0x04
#define INIT_MAIR_EL1                                                                      \
	((MAIR_ATTR_NORMAL << (8 * MT_NORMAL)) | (MAIR_ATTR_NORMAL << (8 * MT_NORMAL_TAGGED)) | \
	 (MAIR_ATTR_NORMAL_NC << (8 * MT_NORMAL_NC)) |                                         \
	 (MAIR_ATTR_DEVICE_nGnRnE << (8 * MT_DEVICE_nGnRnE)) |                                 \
	 (MAIR_ATTR_DEVICE_nGnRE << (8 * MT_DEVICE_nGnRE)))

/* TCR_EL1: T0SZ = T1SZ = 16 (48-bit VA both halves), 4 KiB granules (TG0 = 0b00,
 * TG1 = 0b10), inner-shareable write-back write-allocate walks, IPS filled in from
 * ID_AA64MMFR0_EL1.PARange at boot, AS (16-bit ASIDs) when the CPU has them. */
#define TCR_T0SZ(x) ((64 - (x)) << 0)
#define TCR_T1SZ(x) ((64 - (x)) << 16)
#define TCR_IRGN0_WBWA (1 << 8)
#define TCR_ORGN0_WBWA (1 << 10)
#define TCR_SH0_INNER (3 << 12)
#define TCR_TG0_4K (0 << 14)
#define TCR_EPD0 (1 << 7)
#define TCR_IRGN1_WBWA (1 << 24)
#define TCR_ORGN1_WBWA (1 << 26)
#define TCR_SH1_INNER (3 << 28)
#define TCR_TG1_4K (2 << 30)
#define TCR_IPS_SHIFT 32
#define TCR_AS (1 << 36)
#define INIT_TCR_EL1                                                                       \
	(TCR_T0SZ(48) | TCR_T1SZ(48) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER |       \
	 TCR_TG0_4K | TCR_IRGN1_WBWA | TCR_ORGN1_WBWA | TCR_SH1_INNER | TCR_TG1_4K)

/* Translation table descriptor bits (stage 1, 4 KiB granule). */
#define PTE_VALID BIT(0)
#define PTE_TABLE BIT(1) /* table descriptor at L0-L2, page descriptor at L3 */
#define PTE_TYPE_PAGE (PTE_VALID | PTE_TABLE)
#define PMD_TYPE_SECT PTE_VALID /* block descriptor at L1/L2 */
#define PTE_ATTRINDX(t) ((t) << 2)
#define PTE_USER BIT(6)   /* AP[1]: EL0 access */
#define PTE_RDONLY BIT(7) /* AP[2]: read-only */
#define PTE_SHARED (3 << 8)
#define PTE_AF BIT(10)
#define PTE_NG BIT(11)
#define PTE_PXN BITL(53)
#define PTE_UXN BITL(54)
#define PTE_ADDR_MASK 0x0000fffffffff000

/* Kernel image sections as head.S maps them: W^X, never user-accessible. */
#define PROT_KERNEL_BASE (PTE_TYPE_PAGE | PTE_ATTRINDX(MT_NORMAL) | PTE_SHARED | PTE_AF)
#define PROT_KERNEL_ROX (PROT_KERNEL_BASE | PTE_RDONLY | PTE_UXN)
#define PROT_KERNEL_RO (PROT_KERNEL_BASE | PTE_RDONLY | PTE_UXN | PTE_PXN)
#define PROT_KERNEL_RW (PROT_KERNEL_BASE | PTE_UXN | PTE_PXN)
#define PROT_DEVICE_nGnRnE (PTE_TYPE_PAGE | PTE_ATTRINDX(MT_DEVICE_nGnRnE) | PTE_AF | PTE_UXN | PTE_PXN)

/* ESR_ELx exception classes used by the trap handlers. */
#define ESR_ELx_EC_SHIFT 26
#define ESR_ELx_EC_UNKNOWN 0x00
#define ESR_ELx_EC_SVC64 0x15
#define ESR_ELx_EC_SYS64 0x18
#define ESR_ELx_EC_IABT_LOW 0x20
#define ESR_ELx_EC_IABT_CUR 0x21
#define ESR_ELx_EC_PC_ALIGN 0x22
#define ESR_ELx_EC_DABT_LOW 0x24
#define ESR_ELx_EC_DABT_CUR 0x25
#define ESR_ELx_EC_SP_ALIGN 0x26
#define ESR_ELx_EC_FP_EXC64 0x2c
#define ESR_ELx_EC_SERROR 0x2f
#define ESR_ELx_EC_BRK64 0x3c

#ifndef __ASSEMBLY__
#define read_sysreg(r)                                          \
	({                                                          \
		unsigned long _v;                                       \
		asm volatile("mrs %0, " #r : "=r"(_v));                 \
		_v;                                                     \
	})
#define write_sysreg(v, r)                                               \
	do {                                                                 \
		unsigned long _v = (unsigned long)(v);                           \
		asm volatile("msr " #r ", %0" ::"r"(_v));                        \
	} while (0)
#define isb() asm volatile("isb" ::: "memory")
#define dsb(opt) asm volatile("dsb " #opt ::: "memory")
#define dmb(opt) asm volatile("dmb " #opt ::: "memory")
#endif
