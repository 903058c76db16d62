// ELF64 AArch64 executable decoding (see elf.h for the contract). Every field is read with
// memcpy from a bounds-checked offset, so a hostile file can neither read out of bounds nor
// trip alignment or overflow UB; every size sum goes through add_overflow.
#include "lib/elf.h"

#include <stdarg.h>

#include "core/printk.h"
#include "lib/format.h"
#include "kstd/string.h"
#include "kstd/util.h"

namespace elf {

namespace {

// Field offsets in Elf64_Ehdr and Elf64_Phdr.
constexpr usize EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_OSABI = 7;
constexpr u8 ELFCLASS64 = 2, ELFDATA2LSB = 1, EV_CURRENT = 1;
constexpr u8 ELFOSABI_SYSV = 0, ELFOSABI_GNU = 3;
constexpr usize E_TYPE = 16, E_MACHINE = 18, E_VERSION = 20, E_ENTRY = 24, E_PHOFF = 32,
		E_EHSIZE = 52, E_PHENTSIZE = 54, E_PHNUM = 56;
constexpr usize P_TYPE = 0, P_FLAGS = 4, P_OFFSET = 8, P_VADDR = 16, P_FILESZ = 32,
		P_MEMSZ = 40, P_ALIGN = 48;
// e_phnum == PN_XNUM means the real count is in section 0's sh_info; no static executable
// needs that many headers, and Linux caps the table at 64 KiB (ELF_MIN_ALIGN) as well.
constexpr u16 PN_XNUM = 0xffff;
constexpr u64 MAX_PHDR_TABLE = SZ_64K;

template <typename T> T rd(const u8 *p)
{
	T v;
	// The builtin, so the compiler makes it one (unaligned) load: -ffreestanding implies
	// -fno-builtin, and a call per header field cost each exec thousands of instructions.
	__builtin_memcpy(&v, p, sizeof(T));
	return v;
}

__attribute__((format(printf, 2, 3))) Error bad(const char *name, const char *fmt, ...)
{
	char buf[192];
	va_list ap;
	va_start(ap, fmt);
	kstd::vscnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pr_warn("exec: %s: %s\n", name ? name : "?", buf);
	return Errno::ENOEXEC;
}

u32 prot_of(u32 p_flags)
{
	return (p_flags & PF_R ? PROT_READ : 0) | (p_flags & PF_W ? PROT_WRITE : 0) |
	       (p_flags & PF_X ? PROT_EXEC : 0);
}

bool align_ok(u64 a) { return a <= 1 || kstd::is_power_of_2(a); }

} // namespace

ErrorOr<ElfImage> elf_parse(kstd::span<const u8> file, const char *name) { return elf_parse(file, file.size(), name); }

ErrorOr<ElfImage> elf_parse(kstd::span<const u8> head, u64 file_size, const char *name)
{
	const u8 *f = head.data();
	const u64 size = file_size;
	if (size < EHDR_SIZE || head.size() < EHDR_SIZE)
		return bad(name, "file of %lu bytes is shorter than the ELF header (64)", size);
	if (f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F')
		return bad(name, "e_ident: no ELF magic");
	if (f[EI_CLASS] != ELFCLASS64)
		return bad(name, "e_ident[EI_CLASS] %u is not ELFCLASS64", f[EI_CLASS]);
	if (f[EI_DATA] != ELFDATA2LSB)
		return bad(name, "e_ident[EI_DATA] %u is not little-endian", f[EI_DATA]);
	if (f[EI_VERSION] != EV_CURRENT)
		return bad(name, "e_ident[EI_VERSION] %u is not EV_CURRENT", f[EI_VERSION]);
	if (f[EI_OSABI] != ELFOSABI_SYSV && f[EI_OSABI] != ELFOSABI_GNU)
		return bad(name, "e_ident[EI_OSABI] %u is not SYSV or GNU/Linux", f[EI_OSABI]);

	unsigned e_type = rd<u16>(f + E_TYPE);
	unsigned e_machine = rd<u16>(f + E_MACHINE);
	if (e_type != ET_EXEC && e_type != ET_DYN)
		return bad(name, "e_type %u is neither ET_EXEC nor ET_DYN", e_type);
	if (e_machine != EM_AARCH64)
		return bad(name, "e_machine %u is not EM_AARCH64 (183)", e_machine);
	if (rd<u32>(f + E_VERSION) != EV_CURRENT)
		return bad(name, "e_version %u is not EV_CURRENT", rd<u32>(f + E_VERSION));
	if (rd<u16>(f + E_EHSIZE) != EHDR_SIZE)
		return bad(name, "e_ehsize %u is not 64", unsigned(rd<u16>(f + E_EHSIZE)));

	unsigned phentsize = rd<u16>(f + E_PHENTSIZE);
	unsigned phnum = rd<u16>(f + E_PHNUM);
	u64 phoff = rd<u64>(f + E_PHOFF);
	u64 entry = rd<u64>(f + E_ENTRY);
	if (phentsize != PHDR_SIZE)
		return bad(name, "e_phentsize %u is not sizeof(Elf64_Phdr) (56)", phentsize);
	if (phnum == 0 || phnum == PN_XNUM)
		return bad(name, "e_phnum %u: no usable program header table", phnum);
	u64 table = u64(phnum) * PHDR_SIZE, table_end;
	if (table > MAX_PHDR_TABLE)
		return bad(name, "e_phnum %u: program header table larger than 64 KiB", phnum);
	if (kstd::add_overflow(phoff, table, &table_end) || table_end > size)
		return bad(name, "e_phoff %#lx + %u program headers runs past the end of the file",
			   phoff, phnum);
	if (table_end > head.size())
		return bad(name, "e_phoff %#lx + %u program headers lies beyond the %lu bytes read",
			   phoff, phnum, static_cast<unsigned long>(head.size()));

	ElfImage img{};
	img.type = e_type == ET_EXEC ? ElfType::Exec : ElfType::DynPie;
	img.entry = entry;
	img.phoff = phoff;
	img.phnum = phnum;
	img.phentsize = phentsize;
	img.exec_stack = ExecStack::Default;
	img.max_align = PAGE_SIZE;

	for (unsigned i = 0; i < phnum; i++) {
		const u8 *ph = f + phoff + u64(i) * PHDR_SIZE;
		u32 p_type = rd<u32>(ph + P_TYPE);
		u32 p_flags = rd<u32>(ph + P_FLAGS);
		u64 p_offset = rd<u64>(ph + P_OFFSET), p_vaddr = rd<u64>(ph + P_VADDR);
		u64 p_filesz = rd<u64>(ph + P_FILESZ), p_memsz = rd<u64>(ph + P_MEMSZ);
		u64 p_align = rd<u64>(ph + P_ALIGN);
		u64 end;

		switch (p_type) {
		case PT_INTERP:
			// Linux's load_elf_binary: a path of 2 to PATH_MAX bytes, NUL included.
			if (img.has_interp)
				return bad(name, "phdr %u: second PT_INTERP", i);
			if (p_filesz < 2 || p_filesz > 4096)
				return bad(name, "phdr %u: PT_INTERP p_filesz %#lx is not 2..PATH_MAX", i, p_filesz);
			if (kstd::add_overflow(p_offset, p_filesz, &end) || end > size)
				return bad(name, "phdr %u: PT_INTERP p_offset + p_filesz runs past the end of the file", i);
			img.has_interp = true;
			img.interp_offset = p_offset;
			img.interp_size = p_filesz;
			continue;
		case PT_GNU_STACK:
			img.exec_stack = p_flags & PF_X ? ExecStack::Yes : ExecStack::No;
			continue;
		case PT_DYNAMIC:
			img.has_dynamic = true;
			continue;
		case PT_TLS:
			if (img.has_tls)
				return bad(name, "phdr %u: second PT_TLS", i);
			if (p_filesz > p_memsz)
				return bad(name, "phdr %u: PT_TLS p_filesz %#lx > p_memsz", i, p_filesz);
			if (!align_ok(p_align))
				return bad(name, "phdr %u: PT_TLS p_align %#lx is not a power of two", i, p_align);
			if (kstd::add_overflow(p_offset, p_filesz, &end) || end > size)
				return bad(name, "phdr %u: PT_TLS p_offset + p_filesz runs past the end of the file", i);
			if (kstd::add_overflow(p_vaddr, p_memsz, &end) || end > TASK_SIZE)
				return bad(name, "phdr %u: PT_TLS p_vaddr %#lx + p_memsz beyond the user half", i, p_vaddr);
			img.has_tls = true;
			img.tls = {p_vaddr, p_memsz, p_filesz, p_align};
			continue;
		case PT_LOAD:
			break;
		default:
			continue; // PT_NOTE, PT_PHDR, PT_GNU_RELRO, PT_GNU_PROPERTY, ...: nothing to map
		}

		if (p_memsz == 0)
			continue; // maps nothing (Linux skips it too)
		if (p_filesz > p_memsz)
			return bad(name, "phdr %u: PT_LOAD p_filesz %#lx > p_memsz %#lx", i, p_filesz, p_memsz);
		if (kstd::add_overflow(p_offset, p_filesz, &end) || end > size)
			return bad(name, "phdr %u: PT_LOAD p_offset %#lx + p_filesz runs past the end of the file",
				   i, p_offset);
		if (kstd::add_overflow(p_vaddr, p_memsz, &end) || end > TASK_SIZE)
			return bad(name, "phdr %u: PT_LOAD p_vaddr %#lx + p_memsz beyond the user half (2^48)",
				   i, p_vaddr);
		if (!align_ok(p_align))
			return bad(name, "phdr %u: PT_LOAD p_align %#lx is not a power of two", i, p_align);
		if (p_align > 1 && (p_vaddr - p_offset) % p_align != 0)
			return bad(name, "phdr %u: PT_LOAD p_vaddr %#lx and p_offset are not congruent modulo p_align",
				   i, p_vaddr);
		// File pages are mapped (or copied) page by page: the offset within the page must match.
		if ((p_vaddr - p_offset) % PAGE_SIZE != 0)
			return bad(name, "phdr %u: PT_LOAD p_vaddr %#lx and p_offset %#lx differ modulo the page size",
				   i, p_vaddr, p_offset);
		if (img.type == ElfType::Exec && (p_vaddr & PAGE_MASK) < ELF_MIN_VADDR)
			return bad(name, "phdr %u: PT_LOAD p_vaddr %#lx maps the zero page", i, p_vaddr);
		if (img.nr_segs == ELF_MAX_LOAD) {
			pr_warn("exec: %s: more than %u PT_LOAD segments\n", name ? name : "?", ELF_MAX_LOAD);
			return Errno::E2BIG;
		}
		ElfSegment s{p_vaddr, p_memsz, p_offset, p_filesz, prot_of(p_flags), p_align};
		// Insertion sort by vaddr: the gABI wants PT_LOADs ascending, but checking overlap on a
		// sorted copy also covers files that do not follow it.
		u32 j = img.nr_segs++;
		while (j > 0 && img.segs[j - 1].vaddr > s.vaddr) {
			img.segs[j] = img.segs[j - 1];
			j--;
		}
		img.segs[j] = s;
		if (p_align > img.max_align)
			img.max_align = p_align;
	}

	if (img.nr_segs == 0)
		return bad(name, "no PT_LOAD segment");
	// One permission per page: segments must not share a page.
	for (u32 i = 1; i < img.nr_segs; i++) {
		const ElfSegment &a = img.segs[i - 1], &b = img.segs[i];
		if (a.mem_end() > b.map_start())
			return bad(name, "PT_LOAD segments at %#lx and %#lx overlap (page granularity)",
				   a.vaddr, b.vaddr);
	}
	img.lo = img.segs[0].map_start();
	img.hi = img.segs[img.nr_segs - 1].mem_end();
	if (img.max_align > TASK_SIZE / 4)
		return bad(name, "PT_LOAD p_align %#lx is absurdly large", img.max_align);

	bool entry_ok = false;
	for (u32 i = 0; i < img.nr_segs; i++) {
		const ElfSegment &s = img.segs[i];
		if ((s.prot & PROT_EXEC) && entry >= s.vaddr && entry < s.file_end())
			entry_ok = true;
		if (s.offset <= phoff && table_end <= s.offset + s.filesz)
			img.phdr_vaddr = phoff - s.offset + s.vaddr;
	}
	if (!entry_ok)
		return bad(name, "e_entry %#lx is not inside an executable PT_LOAD's file contents", entry);
	if (entry % 4)
		return bad(name, "e_entry %#lx is not 4-byte aligned", entry);

	if (img.has_tls) {
		bool covered = false;
		for (u32 i = 0; i < img.nr_segs; i++) {
			const ElfSegment &s = img.segs[i];
			if (img.tls.vaddr >= s.vaddr && img.tls.vaddr + img.tls.filesz <= s.file_end())
				covered = true;
		}
		if (!covered)
			return bad(name, "PT_TLS initialisation image at %#lx is not inside a PT_LOAD", img.tls.vaddr);
	}
	return img;
}

ErrorOr<u64> elf_load_bias(const ElfImage &img, u64 base)
{
	if (img.type == ElfType::Exec)
		return u64{0};
	if (base % PAGE_SIZE)
		return Errno::EINVAL;
	u64 bias = (base & ~(img.max_align - 1)) - (img.lo & ~(img.max_align - 1));
	u64 lo = img.lo + bias; // modular: bias may be "negative" when lo > base
	u64 span = img.hi - img.lo;
	if (lo < ELF_MIN_VADDR || lo >= TASK_SIZE || span > TASK_SIZE - lo)
		return Errno::ENOMEM;
	return bias;
}

} // namespace elf
