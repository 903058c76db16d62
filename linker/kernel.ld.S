/*
 * Kernel image layout. Preprocessed with the C preprocessor so that it shares the virtual
 * memory map with head.S and C++ (asm/memory.h).
 *
 * Order matters for W^X: text (RX), then rodata (R, including the exception table, the
 * registration tables and the symbol table), then data/BSS (RW), each page aligned so that
 * head.S can give every page exactly one permission. The boot stack has an unmapped guard
 * page below it; the early page tables come last and are not part of BSS (head.S fills them
 * before BSS is cleared).
 */
#include <asm/memory.h>

OUTPUT_ARCH(aarch64)
ENTRY(_head)

/* Image header fields (boot/head.S): size to reserve and flags
 * (bit 0 = 0 little-endian, bits 1-2 = 1 4 KiB pages, bit 3 = 1 any physical placement). */
_kernel_flags_le = 0xa;

SECTIONS
{
	. = KIMAGE_VADDR;
	_text = .;
	.head.text : { KEEP(*(.head.text)) }

	. = ALIGN(4096);
	.text : {
		__idmap_text_start = .;
		*(.idmap.text)
		__idmap_text_end = .;
		. = ALIGN(16);
		*(.text.hot .text.hot.*)
		*(.text .text.*)
	}
	. = ALIGN(4096);
	_etext = .;

	__start_rodata = .;
	.rodata : {
		*(.rodata .rodata.*)
		*(.data.rel.ro .data.rel.ro.*)
		. = ALIGN(8);
		. = ALIGN(4);
		__start___bug_table = .; /* BUG()/WARN() sites (include/core/panic.h) */
		KEEP(*(__bug_table))
		__stop___bug_table = .;
		. = ALIGN(8);
		__start___ex_table = .;
		KEEP(*(__ex_table))
		__stop___ex_table = .;
		. = ALIGN(8);
		__start___rseq_table = .;
		KEEP(*(__rseq_table))
		__stop___rseq_table = .;
		. = ALIGN(8);
		__start_ktest_suites = .;
		KEEP(*(ktest_suites))
		__stop_ktest_suites = .;
		. = ALIGN(8);
		__start_console_drivers = .;
		KEEP(*(console_drivers))
		__stop_console_drivers = .;
		. = ALIGN(8);
		__start_early_params = .;
		KEEP(*(early_params))
		__stop_early_params = .;
		. = ALIGN(8);
		__start_setup_params = .;
		KEEP(*(setup_params))
		__stop_setup_params = .;
		. = ALIGN(8);
		__start_console_cmds = .;
		KEEP(*(console_cmds))
		__stop_console_cmds = .;
		. = ALIGN(8);
		__start_bench_cases = .;
		KEEP(*(bench_cases))
		__stop_bench_cases = .;
		. = ALIGN(8);
		__start_irqchip_drivers = .;
		KEEP(*(irqchip_drivers))
		__stop_irqchip_drivers = .;
		. = ALIGN(8);
		__init_array_start = .;
		KEEP(*(SORT_BY_INIT_PRIORITY(.init_array.*)))
		KEEP(*(.init_array))
		__init_array_end = .;
	}
	.got : { *(.got) *(.got.plt) }
	/* The symbol table goes last in rodata: its size changes between the two link passes,
	 * and nothing whose address the table records comes after it. */
	.kallsyms : { KEEP(*(.kallsyms)) }
	. = ALIGN(4096);
	__end_rodata = .;

	_sdata = .;
	.data : {
		*(.data .data.*)
	}
	. = ALIGN(16);
	_edata = .;

	.bss (NOLOAD) : {
		. = ALIGN(16);
		__bss_start = .;
		*(.bss .bss.* COMMON)
		. = ALIGN(16);
		__bss_stop = .;
	}

	/* Boot stack: THREAD_ALIGN-aligned so the vector entry's one-bit overflow test works;
	 * the page below it is never mapped, so running off the bottom faults at once. */
	.stack (NOLOAD) : {
		. = ALIGN(4096);
		__stack_guard = .;
		. += 4096;
		. = ALIGN(THREAD_ALIGN);
		init_stack = .;
		. += THREAD_SIZE;
		init_stack_top = .;
	}

	.pgdir (NOLOAD) : {
		. = ALIGN(4096);
		init_pg_dir = .;
		. += 4096;
		init_kimage_pud = .;
		. += 4096;
		init_kimage_pmd = .;
		. += 4096;
		init_kimage_pte = .;
		. += 4096 * EARLY_KIMAGE_PTE_TABLES;
		init_fixmap_pud = .;
		. += 4096;
		init_fixmap_pmd = .;
		. += 4096;
		init_fixmap_pte = .;
		. += 4096 * EARLY_FIXMAP_PTE_TABLES;
		init_idmap_pg_dir = .;
		. += 4096 * 4;
		reserved_pg_dir = .;
		. += 4096;
		init_pg_end = .;
	}
	_end = .;

	/DISCARD/ : { *(.eh_frame) *(.eh_frame_hdr) *(.comment) *(.note .note.*) *(.interp) *(.dynamic) }
}

_kernel_size_le = _end - _text;

ASSERT(_text == KIMAGE_VADDR, "the image must start at KIMAGE_VADDR")
ASSERT(_end - _text <= EARLY_KIMAGE_PTE_TABLES * 0x200000, "image larger than the early L3 tables map")
ASSERT(__idmap_text_end - __idmap_text_start <= 4096, ".idmap.text must fit one page")
ASSERT((__idmap_text_start & 0xfff) == 0, ".idmap.text must be page aligned")
