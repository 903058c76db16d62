/*
 * head.S: the kernel's entry point, in the role of Linux's arch/arm64/kernel/head.S.
 *
 * Boot protocol (Documentation/arm64/booting.rst): the loader (QEMU -kernel, the Pi
 * firmware stub, U-Boot booti) enters at the start of the Image with
 *   x0 = physical address of the device tree blob, x1 = x2 = x3 = 0,
 *   MMU off, D-cache off (the image has been cleaned to the PoC), at EL3, EL2 or EL1,
 *   at whatever 4 KiB-aligned physical address it chose (2 MiB-aligned with text_offset 0).
 * Until the MMU is on, every address is taken PC-relative (adr/adrp): the code runs at its
 * load address, not its link address. Literal pools (ldr =sym) give link-time (high) VAs and
 * are used only to compute offsets and for the final jump.
 *
 * Register use in the primary boot path (preserved across the bl calls below):
 *   x19  CurrentEL at entry (the boot EL, for the banner and the EL2-entry self-test)
 *   x20  physical address of _text (the load address)
 *   x21  FDT physical address, x0 at entry
 *   x22  physical address of init_pg_dir (TTBR1 root)
 *   x23  physical address of init_idmap_pg_dir (TTBR0 root)
 */
#include <asm/assembler.h>
#include <asm/memory.h>
#include <asm/smp.h>
#include <asm/sysreg.h>


/*
 * link_table: make the entry of table \tbl that covers virtual address \va at the level
 * whose index starts at bit \shift point to the next-level table \next (all physical
 * addresses; MMU off).  Corrupts: \tmp1, \tmp2.
 */
.macro link_table, tbl, va, shift, next, tmp1, tmp2
	lsr	\tmp1, \va, #\shift
	and	\tmp1, \tmp1, #0x1ff
	orr	\tmp2, \next, #(PTE_VALID | PTE_TABLE)
	str	\tmp2, [\tbl, \tmp1, lsl #3]
.endm

/*
 * drop_idmap: TTBR0 to reserved_pg_dir (all invalid), whose PA is its VA less the kernel's
 * VA-PA offset (read from TTBR1 = PA(init_pg_dir)), and the local TLB flushed of the idmap.
 * Runs with the MMU on, from the kernel mapping.  Corrupts: x0-x2.
 */
.macro drop_idmap
	adr_l	x0, reserved_pg_dir
	mrs	x1, ttbr1_el1
	adr_l	x2, init_pg_dir
	sub	x0, x0, x2
	add	x0, x0, x1
	msr	ttbr0_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
.endm

	.section ".head.text", "ax"
	.globl	_head
_head:
	/* The Linux arm64 Image header: 64 bytes that every loader recognises. */
	b	primary_entry		// code0: executable entry point
	.long	0			// code1
	.quad	0			// text_offset: 0, i.e. load at a 2 MiB-aligned base
	.quad	_kernel_size_le		// image_size: _end - _text, includes BSS and page tables
	.quad	_kernel_flags_le	// flags: LE, 4 KiB pages, any physical placement
	.quad	0			// res2
	.quad	0			// res3
	.quad	0			// res4
	.ascii	"ARM\x64"		// magic
	.long	0			// res5: no PE/COFF header

	.section ".idmap.text", "ax"
	.globl	primary_entry
primary_entry:
	mov	x21, x0			// x21 = FDT PA, kept for start_kernel
	adrp	x20, _text		// x20 = load PA of the image (4 KiB aligned by protocol)
	bl	init_kernel_el		// returns with w0 = CurrentEL at entry, now at EL1
	mov	x19, x0
	bl	__create_page_tables
	bl	__cpu_setup		// returns the SCTLR_EL1 value to load in x0
	b	__primary_switch
	.type	primary_entry, %function
	.size	primary_entry, . - primary_entry

/*
 * init_kernel_el: drop from EL3 or EL2 to EL1h with every trap the kernel does not want
 * disabled. The kernel is a plain EL1 OS: no VHE, no hypervisor left behind.
 * Returns: w0 = CurrentEL at entry.  Corrupts: x0-x3.  Preserves: x19-x30 except lr use.
 */
init_kernel_el:
	mrs	x0, CurrentEL
	cmp	x0, #CurrentEL_EL3
	b.eq	.Lfrom_el3
	cmp	x0, #CurrentEL_EL2
	b.eq	.Lfrom_el2
	/* Already at EL1: just make SCTLR_EL1 known (MMU off, little-endian). */
	mov_q	x1, INIT_SCTLR_EL1_MMU_OFF
	msr	sctlr_el1, x1
	isb
	ret

.Lfrom_el3:
	/* Some firmware stubs (and QEMU with secure=on and no firmware) enter at EL3. */
	mov_q	x1, INIT_SCR_EL3	// non-secure lower ELs, AArch64 EL2, HVC allowed
	msr	scr_el3, x1
	msr	cptr_el3, xzr		// TFP = 0: FP/SIMD does not trap to EL3
	mrs	x1, id_aa64pfr0_el1	// GIC field [27:24] != 0: GICv3 system registers exist
	ubfx	x1, x1, #24, #4
	cbz	x1, 1f
	mov	x1, #0xf		// ICC_SRE_EL3: SRE | DFB | DIB | Enable (lower ELs may use SRE)
	msr	S3_6_C12_C12_5, x1	// ICC_SRE_EL3
	isb
1:	mov_q	x1, SCTLR_EL2_RES1	// EL2 with MMU off and little-endian before we enter it
	msr	sctlr_el2, x1
	mov	x1, #INIT_PSTATE_EL2
	msr	spsr_el3, x1
	adr	x1, .Lfrom_el2
	msr	elr_el3, x1
	mov	x3, x0			// keep the entry EL across the eret
	eret

.Lfrom_el2:
	cmp	x0, #CurrentEL_EL3	// x0 = CurrentEL sampled at entry (EL2 or EL3)
	b.eq	1f
	mov	x3, x0
1:	mov_q	x1, INIT_HCR_EL2	// RW: EL1 is AArch64; nothing else traps or is virtualised
	msr	hcr_el2, x1
	mov	x1, #INIT_CNTHCTL_EL2	// EL1 may use the physical counter and timer
	msr	cnthctl_el2, x1
	msr	cntvoff_el2, xzr	// virtual counter == physical counter
	mov	x1, #INIT_CPTR_EL2	// FP/SIMD does not trap to EL2
	msr	cptr_el2, x1
	msr	hstr_el2, xzr		// no CP15 traps
	msr	vttbr_el2, xzr		// no stage 2
	msr	mdcr_el2, xzr		// no debug/PMU traps to EL2
	mrs	x1, midr_el1		// EL1 reads of MIDR/MPIDR return VPIDR/VMPIDR: make them
	msr	vpidr_el2, x1		// the real values (their reset value is UNKNOWN on hardware)
	mrs	x1, mpidr_el1
	msr	vmpidr_el2, x1
	mrs	x1, id_aa64pfr0_el1	// GICv3 system registers: let EL1 use them (ICC_SRE_EL2)
	ubfx	x1, x1, #24, #4
	cbz	x1, 2f
	mrs	x1, S3_4_C12_C9_5	// ICC_SRE_EL2
	orr	x1, x1, #0x1		// SRE: system register interface
	orr	x1, x1, #0x8		// Enable: EL1 accesses to ICC_SRE_EL1 do not trap
	msr	S3_4_C12_C9_5, x1
	isb
2:	mov_q	x1, INIT_SCTLR_EL1_MMU_OFF
	msr	sctlr_el1, x1
	mov	x1, #INIT_PSTATE_EL1	// EL1h, DAIF masked
	msr	spsr_el2, x1
	msr	elr_el2, lr		// "return" to our caller, at EL1
	mov	x0, x3			// w0 = CurrentEL at entry
	eret

/*
 * __create_page_tables: build, with the MMU off,
 *   init_idmap_pg_dir (TTBR0): the .idmap.text page(s) mapped VA == PA, read-only executable,
 *     so the instructions that turn the MMU on keep executing;
 *   init_pg_dir (TTBR1): the kernel image at KIMAGE_VADDR with 4 KiB pages and W^X
 *     permissions per section, and the boot stack's guard page left unmapped.
 * The tables live in the image (between init_pg_dir and init_pg_end), outside BSS.
 * Uses: x20 (load PA).  Returns: x22 = PA(init_pg_dir), x23 = PA(init_idmap_pg_dir).
 * Corrupts: x0-x15.
 */
__create_page_tables:
	mov	x15, lr

	/* Invalidate the table area before and after writing it with the MMU off: a loader
	 * that ran with caches on may have left lines for it that would later shadow our
	 * non-cacheable writes (Linux does the same around its early tables). */
	adr_l	x0, init_pg_dir
	adr_l	x1, init_pg_end
	bl	dcache_inval_poc

	/* Zero the whole area: it is NOLOAD, so it holds whatever the loader left there. */
	adr_l	x0, init_pg_dir
	adr_l	x1, init_pg_end
1:	stp	xzr, xzr, [x0], #16
	stp	xzr, xzr, [x0], #16
	cmp	x0, x1
	b.lo	1b

	/* ---- identity map: L0 -> L1 -> L2 -> L3 for the page(s) of .idmap.text ---- */
	adr_l	x23, init_idmap_pg_dir	// L0, then L1, L2 and L3 in the next three pages
	adr_l	x0, __idmap_text_start
	bic	x0, x0, #0xfff		// first PA (== VA) to map
	add	x4, x23, #0x1000	// L1
	add	x5, x23, #0x2000	// L2
	add	x6, x23, #0x3000	// L3
	link_table x23, x0, 39, x4, x7, x8	// L0 -> L1
	link_table x4, x0, 30, x5, x7, x8	// L1 -> L2
	link_table x5, x0, 21, x6, x7, x8	// L2 -> L3
	/* .idmap.text is < 4 KiB and page-aligned by the linker script: one or two L3
	 * entries in the same 2 MiB (asserted there), read-only and executable at EL1. */
	adr_l	x1, __idmap_text_end
	mov_q	x9, PROT_KERNEL_ROX
2:	lsr	x7, x0, #12
	and	x7, x7, #0x1ff
	orr	x8, x0, x9
	str	x8, [x6, x7, lsl #3]
	add	x0, x0, #0x1000
	cmp	x0, x1
	b.lo	2b

	/* ---- kernel image: L0 -> L1 -> L2 -> contiguous L3 tables at KIMAGE_VADDR ---- */
	adr_l	x22, init_pg_dir	// L0 (swapper's root for the rest of the kernel's life)
	adr_l	x4, init_kimage_pud	// L1
	adr_l	x5, init_kimage_pmd	// L2
	adr_l	x6, init_kimage_pte	// EARLY_KIMAGE_PTE_TABLES contiguous L3 tables
	mov_q	x0, KIMAGE_VADDR
	link_table x22, x0, 39, x4, x7, x8
	link_table x4, x0, 30, x5, x7, x8
	lsr	x7, x0, #21		// first L2 index; one entry per L3 table
	and	x7, x7, #0x1ff
	mov	x9, #EARLY_KIMAGE_PTE_TABLES
	mov	x10, x6
3:	orr	x8, x10, #(PTE_VALID | PTE_TABLE)
	str	x8, [x5, x7, lsl #3]
	add	x7, x7, #1
	add	x10, x10, #0x1000
	subs	x9, x9, #1
	b.ne	3b

	/* Fixmap: L0 -> L1 -> L2 -> EARLY_FIXMAP_PTE_TABLES L3 tables at FIXADDR_START.
	 * The L3 tables stay empty; C++ fills slots (FDT, early console) after the MMU is on. */
	adr_l	x4, init_fixmap_pud
	adr_l	x5, init_fixmap_pmd
	adr_l	x6, init_fixmap_pte
	mov_q	x0, FIXADDR_START
	link_table x22, x0, 39, x4, x7, x8
	link_table x4, x0, 30, x5, x7, x8
	lsr	x7, x0, #21
	and	x7, x7, #0x1ff
	mov	x9, #EARLY_FIXMAP_PTE_TABLES
4:	orr	x8, x6, #(PTE_VALID | PTE_TABLE)
	str	x8, [x5, x7, lsl #3]
	add	x7, x7, #1
	add	x6, x6, #0x1000
	subs	x9, x9, #1
	b.ne	4b

	/* Image sections, W^X: text RX, rodata R, data/bss/page tables RW, guard unmapped. */
	adr_l	x6, init_kimage_pte
	ldr	x0, =_text
	ldr	x1, =_etext
	mov_q	x2, PROT_KERNEL_ROX
	bl	map_kimage_range
	ldr	x0, =__start_rodata
	ldr	x1, =__end_rodata
	mov_q	x2, PROT_KERNEL_RO
	bl	map_kimage_range
	ldr	x0, =_sdata
	ldr	x1, =__stack_guard
	mov_q	x2, PROT_KERNEL_RW
	bl	map_kimage_range
	ldr	x0, =init_stack		// the page below init_stack (the guard) is never mapped
	ldr	x1, =_end
	mov_q	x2, PROT_KERNEL_RW
	bl	map_kimage_range

	/* Make the tables visible to the walker, which will read them with caches on: the
	 * stores above went to memory (caches off); drop any stale lines over them again. */
	dmb	sy
	adr_l	x0, init_pg_dir
	adr_l	x1, init_pg_end
	bl	dcache_inval_poc
	mov	lr, x15
	ret

/*
 * map_kimage_range: write L3 entries for link VAs [x0, x1) with attributes x2.
 * PA = x20 + (va - KIMAGE_VADDR); the entry lives at x6 + ((va - KIMAGE_VADDR) >> 12) * 8.
 * Uses: x6 (PA of the first L3 table), x20.  Corrupts: x0, x3, x7, x8.
 */
map_kimage_range:
	mov_q	x3, KIMAGE_VADDR
1:	cmp	x0, x1
	b.hs	2f
	sub	x7, x0, x3		// offset in the image
	add	x8, x20, x7		// PA
	orr	x8, x8, x2
	lsr	x7, x7, #12
	str	x8, [x6, x7, lsl #3]
	add	x0, x0, #0x1000
	b	1b
2:	ret

/*
 * dcache_inval_poc: invalidate data cache lines covering [x0, x1) to the PoC.
 * Corrupts: x0, x2, x3.
 */
dcache_inval_poc:
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4		// CTR_EL0.DminLine: log2(words) of the smallest line
	mov	x2, #4
	lsl	x2, x2, x3		// line size in bytes
	sub	x3, x2, #1
	bic	x0, x0, x3
1:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x1
	b.lo	1b
	dsb	sy			// complete the invalidations before anyone reads the area
	ret

/*
 * __cpu_setup: program the MMU control registers (not yet enabled) and FP access.
 * Returns: x0 = SCTLR_EL1 value that turns the MMU and caches on.  Corrupts: x0-x3.
 */
__cpu_setup:
	tlbi	vmalle1			// no stale translations from the loader
	dsb	nsh
	mov	x1, #CPACR_EL1_FPEN	// FP/SIMD for EL1 and EL0: libfdt uses SIMD registers
	msr	cpacr_el1, x1
	mov	x1, #(1 << 12)		// MDSCR_EL1.TDCC: EL0 cannot use the debug comms channel
	msr	mdscr_el1, x1
	isb
	mov_q	x1, INIT_MAIR_EL1
	msr	mair_el1, x1
	mov_q	x1, INIT_TCR_EL1
	mrs	x2, id_aa64mmfr0_el1
	ubfx	x3, x2, #0, #3		// PARange -> TCR_EL1.IPS: output size the CPU supports
	bfi	x1, x3, #TCR_IPS_SHIFT, #3
	ubfx	x3, x2, #4, #4		// ASIDBits == 0b0010: 16-bit ASIDs available
	cmp	x3, #2
	b.ne	1f
	orr	x1, x1, #TCR_AS
1:	msr	tcr_el1, x1
	mov_q	x0, INIT_SCTLR_EL1_MMU_ON
	ret

/*
 * __primary_switch: enable the MMU (still executing from the identity map) and jump to
 * the kernel's link address. Must stay in .idmap.text: until the branch to the high VA,
 * instructions are fetched through the identity map.
 */
__primary_switch:
	msr	ttbr0_el1, x23		// identity map
	msr	ttbr1_el1, x22		// kernel image (and later everything else)
	isb
	msr	sctlr_el1, x0		// MMU and caches on
	isb
	ic	iallu			// discard instructions fetched with the MMU off
	dsb	nsh
	isb
	ldr	x8, =__primary_switched	// absolute: the link-time (high) VA
	br	x8

	.ltorg

/*
 * secondary_entry: where a secondary CPU enters the kernel (Linux's secondary_entry and
 * secondary_startup), released by PSCI CPU_ON or the spin table (arch/arm64/smp.cpp).
 *
 * Entry state: MMU and D-cache off, at EL3, EL2 or EL1, x0 = the PSCI context (unused) or 0
 * (spin table). Nothing is read from memory before the MMU is on: the boot CPU wrote
 * secondary_data and __cpu_logical_map with its caches on, so they are only coherent with
 * what this CPU reads through its own (cacheable) translation.
 *
 * Register use (callee-saved across the bl calls below):
 *   x0   SCTLR_EL1 value from __cpu_setup, then scratch
 * The page tables are the boot CPU's: init_idmap_pg_dir for the switch, init_pg_dir (which
 * holds the linear map, vmalloc and fixmap by now) for TTBR1.
 */
	.globl	secondary_entry
secondary_entry:
	bl	init_kernel_el		// the same EL drop as the boot CPU; w0 = entry EL (unused)
	bl	__cpu_setup		// MAIR/TCR/CPACR; x0 = SCTLR_EL1 that turns the MMU on
	adr_l	x1, init_idmap_pg_dir	// PAs: the MMU is off, adr is PC-relative
	adr_l	x2, init_pg_dir
	msr	ttbr0_el1, x1
	msr	ttbr1_el1, x2
	isb
	msr	sctlr_el1, x0		// MMU and caches on
	isb
	ic	iallu			// discard instructions fetched with the MMU off
	dsb	nsh
	isb
	ldr	x8, =__secondary_switched	// absolute: the link-time (high) VA
	br	x8
	.type	secondary_entry, %function
	.size	secondary_entry, . - secondary_entry

	.ltorg

	.text
/*
 * __primary_switched: first code at the high VA. Sets up the boot stack, vectors and the
 * per-CPU id, clears BSS, records the boot parameters, drops the identity map and calls
 * start_kernel(fdt_pa, boot_el, load_pa). Never returns.
 */
__primary_switched:
	adr_l	x0, init_stack_top
	mov	sp, x0
	adr_l	x0, vectors
	msr	vbar_el1, x0
	msr	tpidr_el1, xzr		// logical CPU 0
	isb

	adr_l	x0, __bss_start		// BSS is 16-byte aligned and sized by the linker script
	adr_l	x1, __bss_stop
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:
	/* Drop the identity map: TTBR0 points at an all-invalid table until a user address
	 * space is installed; the TLB may still hold idmap entries, so flush them. */
	drop_idmap

	mov	x29, xzr		// terminate the frame-pointer chain for backtraces
	mov	x30, xzr
	mov	x0, x21			// FDT PA
	mov	x1, x19			// CurrentEL at entry
	mov	x2, x20			// load PA
	bl	start_kernel
3:	wfe				// start_kernel never returns; never spin on an empty loop
	b	3b
	.type	__primary_switched, %function
	.size	__primary_switched, . - __primary_switched

/*
 * __secondary_switched: a secondary's first code at the high VA. Finds its logical CPU number
 * by its MPIDR in __cpu_logical_map, takes the stack and idle task the boot CPU left in its
 * secondary_data entry, sets VBAR and TPIDR_EL1, drops the identity map and calls
 * secondary_start_kernel(). A CPU that is not in the map, or whose entry holds no stack (its
 * bring-up was abandoned), parks here for good without touching anything.
 */
__secondary_switched:
	adr_l	x0, vectors
	msr	vbar_el1, x0
	mrs	x1, mpidr_el1
	mov_q	x2, MPIDR_HWID_BITMASK
	and	x1, x1, x2		// affinity only, as smp_init stored it
	adr_l	x2, __cpu_logical_map
	mov	x3, #0
1:	ldr	x4, [x2, x3, lsl #3]
	cmp	x4, x1
	b.eq	2f
	add	x3, x3, #1
	cmp	x3, #NR_CPUS_ASM
	b.lo	1b
	b	.Lsecondary_park	// not a CPU this kernel released
2:	adr_l	x2, secondary_data
	add	x2, x2, x3, lsl #SECONDARY_DATA_SHIFT
	ldr	x4, [x2, #SECONDARY_DATA_STACK]
	cbz	x4, .Lsecondary_park
	ldr	x5, [x2, #SECONDARY_DATA_TASK]
	mov	sp, x4
	msr	sp_el0, x5		// current = this CPU's idle task
	msr	tpidr_el1, x3		// smp_processor_id()
	isb

	drop_idmap			// as the boot CPU did

	mov	x29, xzr		// terminate the frame-pointer chain for backtraces
	mov	x30, xzr
	mov	x0, x3			// logical CPU number
	bl	secondary_start_kernel
.Lsecondary_park:
	wfe				// never spin on an empty loop
	b	.Lsecondary_park
	.type	__secondary_switched, %function
	.size	__secondary_switched, . - __secondary_switched
