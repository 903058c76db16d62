// ELF64 AArch64 executables: decode and validate a static program image held in memory.
//
// Contract (seL4's decode/invoke split): elf_parse() reads nothing outside `file`, checks every
// field exec depends on and returns a plain ElfImage describing what to map; it changes no
// state. exec then builds the new address space from the ElfImage alone and cannot fail on
// account of the file. Every rejection returns Errno::ENOEXEC (or E2BIG for more PT_LOAD
// segments than ELF_MAX_LOAD) and prints one pr_warn line naming the program and the field.
//
// Accepted: ELFCLASS64, little-endian, EV_CURRENT, e_machine EM_AARCH64, e_type ET_EXEC or
// ET_DYN (static-PIE, which relocates itself, or a PIE with an interpreter). PT_INTERP names
// the program interpreter (ld-linux-aarch64.so.1): its file range is checked (2 to PATH_MAX
// bytes, inside the file) and recorded; exec reads the path and loads it.
#pragma once

#include "kstd/result.h"
#include "kstd/span.h"
#include "kstd/types.h"

namespace elf {

// The user half of the address space with 48-bit VAs (Linux arm64's TASK_SIZE_64 and
// DEFAULT_MAP_WINDOW_64). Every byte of a mapped segment lies below it.
inline constexpr u64 TASK_SIZE = u64{1} << 48;
// Lowest address a segment may occupy: the zero page stays unmapped so that NULL dereferences
// fault (Linux's mmap_min_addr is at least one page).
inline constexpr u64 ELF_MIN_VADDR = PAGE_SIZE;
// Where a static-PIE is placed by default: arm64 Linux's ELF_ET_DYN_BASE,
// 2 * DEFAULT_MAP_WINDOW_64 / 3, which leaves the bottom third for brk growth above the
// program and the top third for mmap and the stack. (Linux itself loads an interpreter-less
// ET_DYN into the mmap region; any page-aligned base that elf_load_bias() accepts works.)
inline constexpr u64 ELF_ET_DYN_BASE = (2 * TASK_SIZE / 3) & ~(SZ_2M - 1);
// PT_LOAD segments kept in ElfImage; static binaries have 2-4.
inline constexpr unsigned ELF_MAX_LOAD = 16;

// Elf64 constants used by the kernel (values from the ELF gABI and the AArch64 psABI).
inline constexpr u16 ET_EXEC = 2;
inline constexpr u16 ET_DYN = 3;
inline constexpr u16 EM_AARCH64 = 183;
inline constexpr u32 PT_LOAD = 1;
inline constexpr u32 PT_DYNAMIC = 2;
inline constexpr u32 PT_INTERP = 3;
inline constexpr u32 PT_PHDR = 6;
inline constexpr u32 PT_TLS = 7;
inline constexpr u32 PT_GNU_STACK = 0x6474e551;
inline constexpr u32 PF_X = 1;
inline constexpr u32 PF_W = 2;
inline constexpr u32 PF_R = 4;
inline constexpr usize EHDR_SIZE = 64;
inline constexpr usize PHDR_SIZE = 56;

// PROT_* bits as the mm uses them (Linux's values), derived from p_flags.
inline constexpr u32 PROT_READ = 1;
inline constexpr u32 PROT_WRITE = 2;
inline constexpr u32 PROT_EXEC = 4;

enum class ElfType : u8 { Exec, DynPie };
// Absent PT_GNU_STACK means a non-executable stack on arm64 (no READ_IMPLIES_EXEC for 64-bit).
enum class ExecStack : u8 { Default, No, Yes };

// One PT_LOAD in link-time addresses (add ElfImage load bias for ET_DYN). Mapping rule, as
// Linux's elf_map()/set_brk(): pages [map_start(), file_map_end()) come from the file starting
// at file page offset file_page_offset(); bytes [vaddr + filesz, file_map_end()) of the last
// file page are zeroed; pages [file_map_end(), mem_end()) are anonymous zero-fill (bss).
struct ElfSegment {
	u64 vaddr;
	u64 memsz;
	u64 offset;
	u64 filesz;
	u32 prot; // PROT_READ/WRITE/EXEC
	u64 align; // p_align (0/1 = none)

	constexpr u64 map_start() const { return vaddr & PAGE_MASK; }
	constexpr u64 file_page_offset() const { return offset & PAGE_MASK; }
	constexpr u64 file_end() const { return vaddr + filesz; }
	constexpr u64 file_map_end() const { return (vaddr + filesz + PAGE_SIZE - 1) & PAGE_MASK; }
	constexpr u64 mem_end() const { return (vaddr + memsz + PAGE_SIZE - 1) & PAGE_MASK; }
};

struct ElfTls {
	u64 vaddr;
	u64 memsz;
	u64 filesz;
	u64 align;
};

struct ElfImage {
	ElfType type;
	u64 entry; // link-time; exec adds the bias
	// The program header table, for AT_PHDR/AT_PHENT/AT_PHNUM. phdr_vaddr is the link-time
	// address at which a PT_LOAD maps the table (Linux computes it the same way:
	// e_phoff - p_offset + p_vaddr); 0 when no PT_LOAD covers it, which static glibc cannot
	// cope with (it finds PT_TLS through AT_PHDR), so exec may choose to refuse.
	u64 phoff;
	u64 phdr_vaddr;
	u16 phnum;
	u16 phentsize;
	// PT_LOAD segments sorted by vaddr, pairwise disjoint at page granularity.
	ElfSegment segs[ELF_MAX_LOAD];
	u32 nr_segs;
	// Page-aligned extent of all segments [lo, hi): brk starts at hi + bias.
	u64 lo;
	u64 hi;
	u64 max_align; // largest p_align of a PT_LOAD (>= PAGE_SIZE); the ET_DYN bias honours it
	ExecStack exec_stack;
	bool has_tls;
	ElfTls tls;
	bool has_dynamic; // PT_DYNAMIC present (static-PIE relocates itself from it)
	bool has_interp;  // PT_INTERP: the interpreter's path is interp_size bytes at interp_offset
	u64 interp_offset;
	u64 interp_size;
};

// Validates `file` (the whole executable, e.g. a cpio entry's data) and describes it. `name`
// only labels messages. Errors: ENOEXEC for any malformed or unsupported field, E2BIG for
// more than ELF_MAX_LOAD PT_LOAD segments.
ErrorOr<ElfImage> elf_parse(kstd::span<const u8> file, const char *name);
// The same for a file of file_size bytes of which only the start is at hand (exec reads the
// headers through the page cache): `head` must hold the ELF header and the program header
// table (ENOEXEC naming e_phoff otherwise); segment ranges are checked against file_size.
ErrorOr<ElfImage> elf_parse(kstd::span<const u8> head, u64 file_size, const char *name);

// The load bias for `img`: 0 for ET_EXEC; for ET_DYN, `base` (page aligned, e.g.
// ELF_ET_DYN_BASE plus randomisation) rounded down to max_align, minus lo rounded down, so
// that every segment keeps its alignment. EINVAL if base is not page aligned, ENOMEM if the
// biased image would not fit in [ELF_MIN_VADDR, TASK_SIZE).
ErrorOr<u64> elf_load_bias(const ElfImage &img, u64 base);

} // namespace elf
