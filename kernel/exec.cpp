// exec of an ELF64 AArch64 program through the page cache (Linux's fs/binfmt_elf.c
// load_elf_binary, load_elf_interp and create_elf_tables).
//
// The program is an open file: its headers are read with kernel_read, and each PT_LOAD is a
// MAP_PRIVATE mapping of the file (mm/mmap.cpp), so the text pages are the page cache's own,
// shared by every process running the program, and data becomes a private anonymous copy on
// its first write. The bss beyond the last file page is anonymous memory; the tail of that
// page past p_filesz is cleared through the user mapping (Linux's padzero), which copies it.
// A PT_INTERP program gets its interpreter (ld-linux-aarch64.so.1) mapped the same way at an
// mmap address and starts there, with AT_BASE/AT_ENTRY/AT_PHDR telling it about the program;
// a PIE goes at Linux's ELF_ET_DYN_BASE.
//
// An in-memory image (exec_image with a non-empty span: the kernel's tests) is first written
// into an unlinked shmem file and then executed as any other file.
//
// The initial stack is Linux's, from the top: 8 zero bytes, the file name (AT_EXECFN), the
// environment and argument strings, 16 random bytes (AT_RANDOM), then at a 16-byte aligned
// SP: argc, argv[], NULL, envp[], NULL, auxv pairs ending with AT_NULL.
#include <asm/arch_timer.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <asm/uaccess.h>

#include "core/printk.h"
#include "fs/fs.h"
#include "mm/filemap.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "mm/vmalloc.h"
#include "kernel/process.h"
#include "kstd/string.h"
#include "lib/cpio.h"
#include "fs/fs.h"
#include "lib/elf.h"
#include "lib/of/of.h"
#include "mm/memory_model.h"
#include "mm/mm_struct.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

extern "C" const u8 __initramfs_start[] __attribute__((weak));
extern "C" const u8 __initramfs_end[] __attribute__((weak));

kstd::span<const u8> initramfs_image()
{
	// Chosen once: the loader's archive when it is a valid newc cpio, else the built-in one
	// (an initrd that is not an archive, e.g. a test blob, is reported and ignored).
	static bool chosen;
	static kstd::span<const u8> image;
	if (chosen)
		return image;
	chosen = true;
	kstd::span<const u8> builtin;
	if (__initramfs_start && __initramfs_end && +__initramfs_end > +__initramfs_start)
		builtin = {__initramfs_start, static_cast<usize>(__initramfs_end - __initramfs_start)};
	auto rd = of::boot_tree().valid() ? of::boot_tree().initrd() : ErrorOr<of::RegEntry>(Errno::ENOENT);
	if (!rd.is_error() && rd.value().size) {
		kstd::span<const u8> loader(static_cast<const u8 *>(phys_to_virt(PhysAddr(rd.value().address))),
					    rd.value().size);
		if (Result r = cpio::validate(loader); !r.is_error()) {
			image = loader;
			return image;
		}
		pr_warn("initramfs: the loader's initrd is not a newc cpio archive; using the built-in one\n");
	}
	image = builtin;
	return image;
}

// Linux's auxv tags.
enum : u64 {
	AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_BASE = 7, AT_FLAGS = 8,
	AT_ENTRY = 9, AT_UID = 11, AT_EUID = 12, AT_GID = 13, AT_EGID = 14, AT_HWCAP = 16, AT_CLKTCK = 17,
	AT_SECURE = 23, AT_RANDOM = 25, AT_HWCAP2 = 26, AT_EXECFN = 31,
};

// arm64 HWCAP bits from the ID registers (Linux's arm64_elf_hwcaps, the common subset).
static u64 elf_hwcap()
{
	u64 pfr0 = read_sysreg(id_aa64pfr0_el1), isar0 = read_sysreg(id_aa64isar0_el1);
	u64 hw = 0;
	unsigned fp = (pfr0 >> 16) & 0xf, simd = (pfr0 >> 20) & 0xf;
	if (fp != 0xf) {
		hw |= 1 << 0; // FP
		if (fp == 1)
			hw |= 1 << 9; // FPHP
	}
	if (simd != 0xf) {
		hw |= 1 << 1; // ASIMD
		if (simd == 1)
			hw |= 1 << 10; // ASIMDHP
	}
	unsigned aes = (isar0 >> 4) & 0xf;
	if (aes >= 1)
		hw |= 1 << 3; // AES
	if (aes >= 2)
		hw |= 1 << 4; // PMULL
	if ((isar0 >> 8) & 0xf)
		hw |= 1 << 5; // SHA1
	if ((isar0 >> 12) & 0xf)
		hw |= 1 << 6; // SHA2
	if ((isar0 >> 16) & 0xf)
		hw |= 1 << 7; // CRC32
	if (((isar0 >> 20) & 0xf) >= 2)
		hw |= 1 << 8; // ATOMICS
	return hw;
}

static u64 random_state;
u64 get_random_u64()
{
	// splitmix64 over the counter: unpredictable enough for AT_RANDOM and getrandom in a
	// kernel without an entropy pool; not cryptographic.
	random_state += 0x9e3779b97f4a7c15ull ^ arch_counter_get_cntpct();
	u64 z = random_state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

// Linux's MAX_ARG_STRLEN and a bound on the pointer table (it must fit the first stack VMA).
static constexpr usize MAX_ARG_STRLEN = 32 * PAGE_SIZE;
static constexpr usize MAX_ARG_TOTAL = 96 * 1024;
static constexpr usize MAX_ARG_PTRS = 440; // + 3 + 2 * 18 auxv words fit one page
static constexpr unsigned long STACK_INITIAL = 32 * PAGE_SIZE;


// Linux's ELF_ET_DYN_BASE on arm64 (2 * DEFAULT_MAP_WINDOW_64 / 3, to a page) for a PIE
// that has an interpreter (no randomisation: Linux with norandmaps places it the same).
static constexpr u64 ELF_ET_DYN_BASE_INTERP = (2 * TASK_SIZE / 3) & PAGE_MASK;

// An opened program or interpreter: the file (one reference), its parsed headers.
struct elf_file {
	file *f = nullptr;
	elf::ElfImage img{};
};

// Linux's struct linux_binprm, reduced: what exec has checked before the caller's address
// space goes.
struct linux_binprm {
	const char *filename;
	elf_file prog;
	elf_file interp; // f == nullptr: none
};

static void release_binprm(linux_binprm *b)
{
	if (b->prog.f)
		fput(b->prog.f);
	if (b->interp.f)
		fput(b->interp.f);
	b->prog.f = b->interp.f = nullptr;
}

// Reads and checks the headers of f. The buffer holds the ELF header and the program header
// table (elf_parse bounds the table to 64 KiB).
static Result read_elf_headers(file *f, const char *name, elf::ElfImage *out)
{
	loff_t size = __atomic_load_n(&f->f_inode->i_size, __ATOMIC_ACQUIRE);
	u8 ehdr[elf::EHDR_SIZE];
	loff_t pos = 0;
	long n = kernel_read(f, ehdr, sizeof(ehdr), &pos);
	if (n < 0)
		return static_cast<Errno>(-n);
	u64 need = elf::EHDR_SIZE;
	if (n == long(sizeof(ehdr))) {
		u64 phoff, phnum = u64(ehdr[56]) | u64(ehdr[57]) << 8;
		memcpy(&phoff, ehdr + 32, sizeof(phoff));
		if (phoff < u64(size) && phnum * elf::PHDR_SIZE <= 65536)
			need = phoff + phnum * elf::PHDR_SIZE;
		if (need > u64(size))
			need = u64(size);
	}
	if (need < elf::EHDR_SIZE)
		need = elf::EHDR_SIZE;
	// Small (a page for any usual program): kmalloc, not vmalloc's page-table work per exec.
	u8 *buf = static_cast<u8 *>(kmalloc(need, GFP_KERNEL));
	if (!buf)
		return Errno::ENOMEM;
	pos = 0;
	n = kernel_read(f, buf, need, &pos);
	Result r{};
	if (n < 0)
		r = static_cast<Errno>(-n);
	else {
		auto parsed = elf::elf_parse(kstd::span<const u8>(buf, usize(n)), u64(size), name);
		if (parsed.is_error())
			r = parsed.error();
		else
			*out = parsed.value();
	}
	kfree(buf);
	return r;
}

// Linux's open_exec: a regular file we may execute (at least one x bit: root needs one too).
static ErrorOr<file *> open_exec(const char *path)
{
	file *f = TRY(filp_open(path, O_RDONLY | O_LARGEFILE, 0));
	umode_t m = f->f_inode->i_mode;
	if (!S_ISREG(m) || !(m & 0111)) {
		fput(f);
		return Errno::EACCES;
	}
	return f;
}

// Everything that can fail because of the files, before anything of the caller goes.
static Result prepare_binprm(linux_binprm *b, file *f, const char *name)
{
	b->filename = name;
	b->prog.f = get_file(f);
	TRY(read_elf_headers(f, name, &b->prog.img));
	if (!b->prog.img.has_interp)
		return {};
	const elf::ElfImage &img = b->prog.img;
	char *path = static_cast<char *>(kmalloc(img.interp_size, GFP_KERNEL));
	if (!path)
		return Errno::ENOMEM;
	loff_t pos = static_cast<loff_t>(img.interp_offset);
	long n = kernel_read(f, path, img.interp_size, &pos);
	Result r{};
	if (n < 0)
		r = static_cast<Errno>(-n);
	else if (u64(n) != img.interp_size || path[img.interp_size - 1] != 0)
		r = Errno::ENOEXEC; // Linux: the path must be NUL-terminated
	if (!r.is_error()) {
		auto fi = open_exec(path);
		if (fi.is_error())
			r = fi.error();
		else
			b->interp.f = fi.value();
	}
	if (!r.is_error()) {
		// Linux's load_elf_binary: an interpreter that is no ELF, or not for this machine, is
		// ELIBBAD.
		if (read_elf_headers(b->interp.f, path, &b->interp.img).is_error())
			r = static_cast<Errno>(80); // ELIBBAD
	}
	kfree(path);
	return r;
}

static unsigned long vm_flags_of(u32 prot)
{
	return (prot & elf::PROT_READ ? VM_READ : 0) | (prot & elf::PROT_WRITE ? VM_WRITE : 0) |
	       (prot & elf::PROT_EXEC ? VM_EXEC : 0);
}

// Maps img's PT_LOADs from f at bias (Linux's elf_map for each, then set_brk for the bss).
// Returns the page-aligned end of the last segment's bss (the brk start).
static Result map_segments(mm_struct *mm, const elf::ElfImage &img, file *f, u64 bias, bool set_mm_extents)
{
	for (unsigned i = 0; i < img.nr_segs; i++) {
		const elf::ElfSegment &s = img.segs[i];
		unsigned long flags = vm_flags_of(s.prot);
		unsigned long start = s.map_start() + bias, fend = s.file_map_end() + bias, mend = s.mem_end() + bias;
		if (s.filesz)
			TRY(mmap_region(mm, start, fend - start, flags, f, s.file_page_offset() >> PAGE_SHIFT));
		else
			fend = start;
		if (mend > fend)
			TRY(mmap_region(mm, fend, mend - fend, flags, nullptr, 0));
		if (!set_mm_extents)
			continue;
		if (s.prot & elf::PROT_EXEC) {
			if (!mm->start_code || start < mm->start_code)
				mm->start_code = start;
			if (s.file_end() + bias > mm->end_code)
				mm->end_code = s.file_end() + bias;
		} else {
			if (!mm->start_data || start < mm->start_data)
				mm->start_data = start;
			if (s.file_end() + bias > mm->end_data)
				mm->end_data = s.file_end() + bias;
		}
	}
	return {};
}

// Linux's padzero: the bytes of a segment's last file page past p_filesz belong to its bss
// and must read as zero (the file has whatever follows there). Cleared through the user
// mapping once the new mm is current: the write copies the page. For the highest segment the
// whole rest of the page is cleared, past p_memsz too (ld.so's early allocator uses it and
// expects zeros); the interpreter's always, the program's when it has a bss, as Linux's
// load_elf_interp and load_elf_binary. A failure there (a read-only segment) is EFAULT; for
// the other segments, it is ignored, as Linux's.
static Result clear_bss_tails(const elf::ElfImage &img, u64 bias, bool interp)
{
	for (unsigned i = 0; i < img.nr_segs; i++) {
		const elf::ElfSegment &s = img.segs[i];
		bool last = i == img.nr_segs - 1;
		if (!(last && interp) && s.memsz <= s.filesz)
			continue;
		unsigned long from = s.file_end() + bias, to = s.file_map_end() + bias;
		if (!last && s.vaddr + s.memsz + bias < to)
			to = s.vaddr + s.memsz + bias;
		if (from >= to || !s.filesz)
			continue;
		if (clear_user(reinterpret_cast<void *>(from), to - from) && last)
			return Errno::EFAULT;
	}
	return {};
}

static Result put_user_bytes(unsigned long addr, const void *src, usize n)
{
	if (copy_to_user(reinterpret_cast<void *>(addr), src, n))
		return Errno::EFAULT;
	return {};
}

static Result exec_binprm(task_struct *task, linux_binprm *b, kstd::span<const char *const> argv,
			  kstd::span<const char *const> envp, pt_regs *regs)
{
	const char *name = b->filename;
	const elf::ElfImage &img = b->prog.img;
	usize strings = strlen(name) + 1;
	if (argv.size() + envp.size() > MAX_ARG_PTRS)
		return Errno::E2BIG;
	for (const char *s : argv) {
		usize n = strlen(s) + 1;
		if (n > MAX_ARG_STRLEN)
			return Errno::E2BIG;
		strings += n;
	}
	for (const char *s : envp) {
		usize n = strlen(s) + 1;
		if (n > MAX_ARG_STRLEN)
			return Errno::E2BIG;
		strings += n;
	}
	if (strings > MAX_ARG_TOTAL)
		return Errno::E2BIG;
	u64 bias = 0;
	if (img.type == elf::ElfType::DynPie)
		bias = TRY(elf::elf_load_bias(img, b->interp.f ? ELF_ET_DYN_BASE_INTERP : elf::ELF_ET_DYN_BASE));

	mm_struct *mm = TRY(mm_alloc());
	{
		SpinLockGuard g(task->alloc_lock);
		task->mm = mm;
	}
	TRY(map_segments(mm, img, b->prog.f, bias, true));
	mm->start_brk = mm->brk = img.hi + bias;
	unsigned long stack_top = STACK_TOP;
	TRY(mmap_region(mm, stack_top - STACK_INITIAL, STACK_INITIAL, VM_READ | VM_WRITE | VM_GROWSDOWN, nullptr, 0));
	mm->start_stack = stack_top;
	// The interpreter goes where mmap would put it (Linux's load_elf_interp: the first
	// segment without MAP_FIXED, sized for the whole image).
	u64 interp_bias = 0;
	const elf::ElfImage &ii = b->interp.img;
	if (b->interp.f) {
		if (ii.type == elf::ElfType::DynPie) {
			unsigned long where = TRY(get_unmapped_area(mm, 0, ii.hi - ii.lo));
			interp_bias = where - ii.lo;
		}
		TRY(map_segments(mm, ii, b->interp.f, interp_bias, false));
	}
	check_and_switch_context(mm);
	TRY(clear_bss_tails(img, bias, false));
	if (b->interp.f)
		TRY(clear_bss_tails(ii, interp_bias, true));

	unsigned long p = stack_top - sizeof(u64);
	auto push_str = [&](const char *s) -> ErrorOr<unsigned long> {
		usize n = strlen(s) + 1;
		p -= n;
		TRY(put_user_bytes(p, s, n));
		return p;
	};
	unsigned long execfn = TRY(push_str(name));
	// Strings go in downwards from the last environment string so that memory holds argv[0]
	// first, as Linux's copy_strings leaves it.
	page *table_page = alloc_page(GFP_KERNEL);
	if (!table_page)
		return Errno::ENOMEM;
	u64 *table = static_cast<u64 *>(page_address(table_page));
	usize argc = argv.size(), envc = envp.size();
	Result r{};
	usize t = 0;
	// Table layout (indices): [0] argc, [1..argc] argv, NULL, envp..., NULL, auxv.
	mm->env_end = p;
	for (usize i = envc; i-- > 0 && !r.is_error();) {
		auto a = push_str(envp[i]);
		if (a.is_error())
			r = a.error();
		else
			table[1 + argc + 1 + i] = a.value();
	}
	mm->env_start = mm->arg_end = p;
	for (usize i = argc; i-- > 0 && !r.is_error();) {
		auto a = push_str(argv[i]);
		if (a.is_error())
			r = a.error();
		else
			table[1 + i] = a.value();
	}
	mm->arg_start = p;
	if (!r.is_error()) {
		u64 rnd[2] = {get_random_u64(), get_random_u64()};
		p = (p - 16) & ~15ul;
		unsigned long at_random = p;
		r = put_user_bytes(p, rnd, sizeof(rnd));
		table[0] = argc;
		table[1 + argc] = 0;
		t = 1 + argc + 1 + envc;
		table[t++] = 0;
		auto aux = [&](u64 k, u64 v) {
			table[t++] = k;
			table[t++] = v;
		};
		aux(AT_HWCAP, elf_hwcap());
		aux(AT_PAGESZ, PAGE_SIZE);
		aux(AT_CLKTCK, 100);
		aux(AT_PHDR, img.phdr_vaddr ? img.phdr_vaddr + bias : 0);
		aux(AT_PHENT, img.phentsize);
		aux(AT_PHNUM, img.phnum);
		// The interpreter's load address (its link-time base plus bias; 0 without one).
		aux(AT_BASE, b->interp.f ? ii.lo + interp_bias : 0);
		aux(AT_FLAGS, 0);
		aux(AT_ENTRY, img.entry + bias);
		aux(AT_UID, 0);
		aux(AT_EUID, 0);
		aux(AT_GID, 0);
		aux(AT_EGID, 0);
		aux(AT_SECURE, 0);
		aux(AT_RANDOM, at_random);
		aux(AT_HWCAP2, 0);
		aux(AT_EXECFN, execfn);
		aux(AT_NULL, 0);
	}
	unsigned long sp = (p - t * sizeof(u64)) & ~15ul;
	if (!r.is_error())
		r = put_user_bytes(sp, table, t * sizeof(u64));
	__free_page(table_page);
	if (r.is_error())
		return r;

	memset(regs, 0, sizeof(*regs));
	regs->pc = b->interp.f ? ii.entry + interp_bias : img.entry + bias;
	regs->sp = sp;
	regs->pstate = PSR_MODE_EL0t; // EL0t with D, A, I, F unmasked
	return {};
}

// An in-memory program as an unlinked shmem file holding a copy of it.
static ErrorOr<file *> image_file(const char *name, kstd::span<const u8> image)
{
	file *f = TRY(shmem_file_setup(name, static_cast<loff_t>(image.size()), 0));
	loff_t pos = 0;
	long n = kernel_write(f, image.data(), image.size(), &pos);
	if (n != long(image.size())) {
		fput(f);
		return n < 0 ? static_cast<Errno>(-n) : Errno::ENOMEM;
	}
	// The program's pages must be executable: shmem_file_setup's mode may not say so.
	f->f_inode->i_mode |= 0111;
	return f;
}

Result exec_file(task_struct *task, const char *name, file *f, kstd::span<const char *const> argv,
		 kstd::span<const char *const> envp, pt_regs *regs)
{
	linux_binprm b{};
	Result r = prepare_binprm(&b, f, name);
	if (!r.is_error())
		r = exec_binprm(task, &b, argv, envp, regs);
	release_binprm(&b);
	return r;
}

Result exec_image(task_struct *task, const char *name, kstd::span<const u8> image,
		  kstd::span<const char *const> argv, kstd::span<const char *const> envp, pt_regs *regs)
{
	// An empty image: the program is the file `name` in the VFS.
	file *f = TRY(image.empty() ? open_exec(name) : image_file(name, image));
	Result r = exec_file(task, name, f, argv, envp, regs);
	fput(f);
	return r;
}

// --- execve(2) -----------------------------------------------------------------------------------

namespace {

constexpr usize EXEC_PATH_MAX = static_cast<usize>(PATH_MAX);

const char *path_basename_of(const char *path)
{
	const char *base = path;
	for (const char *c = path; *c; c++)
		if (*c == '/' && c[1])
			base = c + 1;
	return base;
}

// The caller's arguments, copied out of its address space before that goes away (Linux's
// bprm strings), with Linux's limits: E2BIG for too many or too long strings.
struct exec_args {
	char *buf;         // path, then the strings
	usize used, cap;
	const char **argv; // MAX_ARG_PTRS + 1 slots each
	const char **envp;
	usize argc, envc;
	const char *path;
};

// Linux's binfmt_script: a file starting with "#!" runs its interpreter with argv
// [interpreter, optional argument, the script's path, argv[1..]]. The line is read from the
// first BINPRM_BUF_SIZE bytes; a name cut off there is ENOEXEC. 1: not a script (f is an
// ELF candidate), 0: *path is now the interpreter, or -errno.
constexpr usize BINPRM_BUF_SIZE = 256;
long load_script(exec_args &a, file *f, const char *script, const char **path, usize str_cap)
{
	char buf[BINPRM_BUF_SIZE + 1];
	loff_t pos = 0;
	long n = kernel_read(f, buf, BINPRM_BUF_SIZE, &pos);
	if (n < 0)
		return n;
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 1;
	buf[n] = 0;
	char *end = static_cast<char *>(memchr(buf, '\n', usize(n)));
	if (end)
		*end = 0;
	char *c = buf + 2;
	while (*c == ' ' || *c == '\t')
		c++;
	if (!*c)
		return -int(Errno::ENOEXEC); // no interpreter
	char *interp = c;
	while (*c && *c != ' ' && *c != '\t')
		c++;
	if (!end && !*c)
		return -int(Errno::ENOEXEC); // the name may go on past the buffer
	char *arg = nullptr;
	if (*c) {
		*c++ = 0;
		while (*c == ' ' || *c == '\t')
			c++;
		if (*c) {
			arg = c;
			// The argument is the rest of the line, trailing blanks cut (Linux's
			// binfmt_script keeps inner spaces: one argument).
			char *e = c + strlen(c);
			while (e > arg && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = 0;
		}
	}
	usize extra = arg ? 2 : 1;
	if (a.argc + a.envc + extra >= MAX_ARG_PTRS)
		return -int(Errno::E2BIG);
	auto save = [&](const char *str) -> const char * {
		usize len = strlen(str) + 1;
		if (a.used + len > str_cap)
			return nullptr;
		char *dst = a.buf + a.used;
		memcpy(dst, str, len);
		a.used += len;
		return dst;
	};
	const char *si = save(interp);
	const char *sa = arg ? save(arg) : nullptr;
	const char *sp = save(script);
	if (!si || (arg && !sa) || !sp)
		return -int(Errno::E2BIG);
	// argv[0] is replaced by the interpreter (+ argument) and the script's path.
	memmove(a.argv + extra + 1, a.argv + 1, (a.argc - 1) * sizeof(char *));
	a.argv[0] = si;
	if (arg)
		a.argv[1] = sa;
	a.argv[extra] = sp;
	a.argc += extra;
	a.argv[a.argc] = nullptr;
	*path = si;
	return 0;
}

long copy_strings(exec_args &a, u64 uvec, const char **out, usize &count)
{
	count = 0;
	if (!uvec)
		return 0; // a NULL vector is empty (Linux accepts it)
	for (;;) {
		u64 up;
		if (copy_from_user(&up, reinterpret_cast<const void *>(uvec + count * sizeof(u64)), sizeof(up)))
			return -int(Errno::EFAULT);
		if (!up)
			return 0;
		if (a.argc + a.envc + count >= MAX_ARG_PTRS)
			return -int(Errno::E2BIG);
		usize room = a.cap - a.used;
		long n = strncpy_from_user(a.buf + a.used, reinterpret_cast<const char *>(up), long(room));
		if (n < 0)
			return n;
		if (usize(n) == room || usize(n) + 1 > MAX_ARG_STRLEN)
			return -int(Errno::E2BIG);
		out[count++] = a.buf + a.used;
		a.used += usize(n) + 1;
	}
}

// Ends every other thread of the group and waits for them (Linux's de_thread). A thread
// that is not the leader takes the leader's place: its pid becomes the process's.
long de_thread(task_struct *t)
{
	signal_struct *sig = t->signal;
	if (sig->nr_threads == 1)
		return 0;
	{
		SpinLockGuard g(t->sighand->siglock);
		if (sig->flags & SIGNAL_GROUP_EXIT || sig->group_exec_task)
			return -ERESTARTNOINTR; // another exit or exec won: we die with the group
		sig->group_exec_task = t;
		list_for_each(pos, &sig->thread_head) {
			task_struct *c = list_entry(pos, task_struct, thread_node);
			if (c == t || c->exit_state)
				continue;
			c->pending.signal |= sigmask(SIGKILL);
			signal_wake_up(c, true);
		}
	}
	task_struct *leader = t->group_leader;
	// The others are gone when only we (and, for a non-leader, the zombie leader) remain.
	auto others_gone = [&] {
		return __atomic_load_n(&sig->nr_threads, __ATOMIC_ACQUIRE) == (leader == t ? 1 : 2) &&
		       (leader == t || __atomic_load_n(&leader->exit_state, __ATOMIC_ACQUIRE) == EXIT_ZOMBIE);
	};
	while (!others_gone()) {
		set_current_state(TASK_KILLABLE);
		if (others_gone())
			break;
		if (fatal_signal_pending(t)) {
			__atomic_store_n(&t->__state, TASK_RUNNING, __ATOMIC_RELAXED);
			return -ERESTARTNOINTR;
		}
		// Each exiting thread wakes us (exit_notify wakes group_exec_task).
		schedule();
	}
	__atomic_store_n(&t->__state, TASK_RUNNING, __ATOMIC_RELAXED);
	if (leader != t) {
		// Take over the leader's identity and its place among its parent's children
		// (Linux's exchange_tids and the sibling switch), then release the old leader.
		{
			SpinLockGuard g(tasklist_lock);
			int old = t->pid;
			t->pid = leader->pid;
			leader->pid = old;
			t->group_leader = t;
			t->exit_signal = SIGCHLD;
			t->real_parent = leader->real_parent;
			t->parent = leader->parent;
			t->autoreap = leader->autoreap;
			// Our place among the parent's children is the leader's (threads have none).
			if (!list_empty(&leader->sibling)) {
				list_add(&t->sibling, &leader->sibling);
				list_del_init(&leader->sibling);
			}
			leader->group_leader = t;
			leader->exit_signal = -1;
			leader->exit_state = EXIT_DEAD;
			SpinLockGuard s(t->sighand->siglock);
			list_del_init(&leader->thread_node);
			sig->nr_threads--;
		}
		while (__atomic_load_n(&leader->on_cpu, __ATOMIC_ACQUIRE))
			yield();
		put_task_struct(leader); // the reaper's reference
	}
	SpinLockGuard g(t->sighand->siglock);
	sig->group_exec_task = nullptr;
	return 0;
}

} // namespace

void exec_mm_release(task_struct *t); // kernel/exit.cpp

long sys_execve(u64 upath, u64 uargv, u64 uenvp, u64, u64, u64)
{
	task_struct *t = current;
	// One vmalloc'ed block: the path, the strings, then the two pointer tables.
	constexpr usize STR_CAP = EXEC_PATH_MAX + MAX_ARG_TOTAL;
	constexpr usize PTRS = MAX_ARG_PTRS + 2;
	usize size = STR_CAP + 2 * PTRS * sizeof(char *);
	void *mem = vmalloc(size);
	if (!mem)
		return -int(Errno::ENOMEM);
	exec_args a{};
	a.buf = static_cast<char *>(mem);
	a.cap = STR_CAP;
	a.argv = reinterpret_cast<const char **>(a.buf + STR_CAP);
	a.envp = a.argv + PTRS;
	long r = strncpy_from_user(a.buf, reinterpret_cast<const char *>(upath), EXEC_PATH_MAX);
	if (r >= 0 && usize(r) == EXEC_PATH_MAX)
		r = -int(Errno::ENAMETOOLONG);
	else if (r == 0)
		r = -int(Errno::ENOENT);
	if (r > 0) {
		a.path = a.buf;
		a.used = usize(r) + 1;
		a.cap = a.used + MAX_ARG_TOTAL;
		r = copy_strings(a, uargv, a.argv, a.argc);
		if (!r)
			r = copy_strings(a, uenvp, a.envp, a.envc);
		// Linux (since 5.18) gives a program started with an empty argv an argv[0] of "".
		if (!r && a.argc == 0) {
			a.buf[a.used] = 0;
			a.argv[a.argc++] = a.buf + a.used++;
		}
	}
	// The new program and its interpreter are opened and checked before anything of the
	// caller goes: a file that is no program leaves the caller as it was (ENOEXEC, EACCES,
	// ENOENT, ELIBBAD).
	linux_binprm b{};
	const char *exec_path = a.path;
	// Scripts nest (an interpreter that is itself a script) up to Linux's 5 levels: ELOOP.
	for (int depth = 0; !r; depth++) {
		auto f = open_exec(exec_path);
		if (f.is_error()) {
			r = f.error().neg();
			break;
		}
		long sc = load_script(a, f.value(), exec_path, &exec_path, STR_CAP);
		if (sc <= 0) {
			fput(f.value());
			r = sc;
			if (!r && depth >= 4)
				r = -int(Errno::ELOOP);
			continue;
		}
		Result p = prepare_binprm(&b, f.value(), exec_path);
		fput(f.value()); // b holds its own
		if (p.is_error())
			r = p.error().neg();
		break;
	}
	if (!r)
		r = de_thread(t);
	if (!r) {
		if (Result u = exec_unshare_files(t); u.is_error())
			r = u.error().neg();
	}
	if (r) {
		release_binprm(&b);
		vfree(mem);
		return r;
	}
	mm_struct *old = t->mm;
	{
		SpinLockGuard g(t->alloc_lock);
		t->mm = nullptr;
	}
	pt_regs regs;
	Result res = exec_binprm(t, &b, kstd::span<const char *const>(a.argv, a.argc),
				 kstd::span<const char *const>(a.envp, a.envc), &regs);
	release_binprm(&b);
	if (res.is_error()) {
		// Not past the point of no return: the caller goes on in its own address space.
		mm_struct *nw = t->mm;
		{
			SpinLockGuard g(t->alloc_lock);
			t->mm = old;
		}
		if (old)
			check_and_switch_context(old);
		mmput(nw);
		vfree(mem);
		return res.error().neg();
	}
	// The old address space's last user-visible duties (clear_child_tid, robust futexes, a
	// vfork parent), done in it, then it goes.
	mm_struct *nw = t->mm;
	if (old) {
		{
			SpinLockGuard g(t->alloc_lock);
			t->mm = old;
		}
		check_and_switch_context(old);
		exec_mm_release(t);
		{
			SpinLockGuard g(t->alloc_lock);
			t->mm = nw;
		}
		check_and_switch_context(nw);
		mmput(old);
	}
	kstd::strlcpy(t->comm, path_basename_of(a.path), sizeof(t->comm));
	t->flags &= ~PF_FORKNOEXEC;
	vfree(mem);
	flush_signal_handlers(t);
	exec_close_files(t);
	t->sas_ss_sp = t->sas_ss_size = 0;
	t->sas_ss_flags = 0;
	fpsimd_flush_thread();
	*task_pt_regs(t) = regs;
	return 0;
}
