/*
 * The kernel's virtual memory map (48-bit VA, 4 KiB granule, TTBR1 covers the top 256 TiB).
 * Shared by head.S, the linker script and C++, so it uses plain #defines.
 *
 *   0xffff000000000000 - 0xffff7fffffffffff  linear map of all RAM (128 TiB), PAGE_OFFSET
 *   0xffff800000000000 - 0xffff800007ffffff  unused (Linux's modules area)
 *   0xffff800008000000 - 0xffff80000fffffff  kernel image, KIMAGE_VADDR (128 MiB at most)
 *   0xffff800010000000 - 0xfffffbfffdffffff  vmalloc / ioremap
 *   0xfffffbfffe000000 - 0xfffffbfffe7fffff  fixmap (8 MiB: FDT, early console, PTE slots)
 *   0xfffffc0000000000 - 0xfffffdffffffffff  vmemmap (struct page array, 2 TiB)
 *
 * Same layout as Linux 6.1 arm64 with VA_BITS=48 in spirit (linear map low, image above
 * it, vmemmap near the top), so addresses in oopses are recognisable to Linux developers.
 */
#pragma once

#define VA_BITS 48
#define PAGE_OFFSET 0xffff000000000000
#define PAGE_END 0xffff800000000000
#define KIMAGE_VADDR 0xffff800008000000
#define KIMAGE_SIZE_MAX 0x0000000008000000
#define VMALLOC_START 0xffff800010000000
#define VMALLOC_END 0xfffffbfffdffffff
#define FIXADDR_START 0xfffffbfffe000000
#define FIXADDR_SIZE 0x0000000000800000
#define FIXADDR_TOP (FIXADDR_START + FIXADDR_SIZE)
#define VMEMMAP_START 0xfffffc0000000000
#define VMEMMAP_SIZE 0x0000020000000000

/* Kernel stacks: 16 KiB, aligned to twice their size so that the vector entry can detect an
 * overflow by testing one SP bit (Linux's THREAD_ALIGN trick). */
#define THREAD_SHIFT 14
#define THREAD_SIZE (1 << THREAD_SHIFT)
#define THREAD_ALIGN (2 * THREAD_SIZE)

/* Early TTBR1 tables cover the image with 4 KiB pages: one L3 table per 2 MiB. */
#define EARLY_KIMAGE_PTE_TABLES 8
#define EARLY_FIXMAP_PTE_TABLES 4

#ifndef __ASSEMBLY__
#include "kstd/types.h"

/* VA of the kernel image minus its PA: set once by head.S's caller (start_kernel). */
extern u64 kimage_voffset;

static inline PhysAddr __pa_symbol(const void *p) { return PhysAddr(reinterpret_cast<u64>(p) - kimage_voffset); }
static inline bool is_kimage_addr(u64 va) { return va >= KIMAGE_VADDR && va < KIMAGE_VADDR + KIMAGE_SIZE_MAX; }

/* Image section boundaries from linker/kernel.ld. */
extern "C" char _text[], _etext[], __start_rodata[], __end_rodata[], _sdata[], _edata[],
	__bss_start[], __bss_stop[], _end[], __stack_guard[], init_stack[], init_stack_top[],
	__idmap_text_start[], __idmap_text_end[], init_pg_dir[], init_pg_end[], reserved_pg_dir[],
	__init_begin[], __init_end[];
#endif
