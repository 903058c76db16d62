// exec of a static ELF64 AArch64 program (Linux's fs/binfmt_elf.c load_elf_binary and
// create_elf_tables, for programs without an interpreter).
//
// Segments are private mappings of the image in memory (the initramfs stays resident): each
// page is copied from the image on its first touch (mm/memory.cpp do_file_page) and mapped
// read-only until written, so text is never writable and data becomes a private copy on the
// first write (copy-on-write with the one-user reuse). The tail of the last file page and
// the bss beyond it read as zero.
//
// The initial stack is Linux's, from the top: 8 zero bytes, the file name (AT_EXECFN), the
// environment and argument strings, 16 random bytes (AT_RANDOM), then at a 16-byte aligned
// SP: argc, argv[], NULL, envp[], NULL, auxv pairs ending with AT_NULL.
#include <asm/arch_timer.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>
#include <asm/uaccess.h>

#include "core/printk.h"
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

static unsigned long vm_flags_of(u32 prot)
{
	return (prot & elf::PROT_READ ? VM_READ : 0) | (prot & elf::PROT_WRITE ? VM_WRITE : 0) |
	       (prot & elf::PROT_EXEC ? VM_EXEC : 0);
}

static Result map_segments(mm_struct *mm, const elf::ElfImage &img, kstd::span<const u8> file, u64 bias)
{
	for (unsigned i = 0; i < img.nr_segs; i++) {
		const elf::ElfSegment &s = img.segs[i];
		unsigned long flags = vm_flags_of(s.prot);
		unsigned long start = s.map_start() + bias, fend = s.file_map_end() + bias, mend = s.mem_end() + bias;
		if (s.filesz) {
			const vm_backing *b = mm_add_backing(mm, file.data() + s.file_page_offset(), s.file_end() - s.map_start());
			if (!b)
				return Errno::E2BIG;
			TRY(mmap_region(mm, start, fend - start, flags, b, 0));
		} else {
			fend = start;
		}
		if (mend > fend)
			TRY(mmap_region(mm, fend, mend - fend, flags, nullptr, 0));
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

static Result put_user_bytes(unsigned long addr, const void *src, usize n)
{
	if (copy_to_user(reinterpret_cast<void *>(addr), src, n))
		return Errno::EFAULT;
	return {};
}

Result exec_image(task_struct *task, const char *name, kstd::span<const u8> image,
		  kstd::span<const char *const> argv, kstd::span<const char *const> envp, pt_regs *regs)
{
	// Decode everything first: nothing below can fail because of the file or the arguments.
	auto parsed = elf::elf_parse(image, name);
	if (parsed.is_error())
		return parsed.error();
	const elf::ElfImage &img = parsed.value();
	u64 bias = 0;
	if (img.type == elf::ElfType::DynPie)
		bias = TRY(elf::elf_load_bias(img, elf::ELF_ET_DYN_BASE));
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

	mm_struct *mm = TRY(mm_alloc());
	task->mm = mm;
	TRY(map_segments(mm, img, image, bias));
	mm->start_brk = mm->brk = img.hi + bias;
	unsigned long stack_top = STACK_TOP;
	TRY(mmap_region(mm, stack_top - STACK_INITIAL, STACK_INITIAL, VM_READ | VM_WRITE | VM_GROWSDOWN, nullptr, 0));
	mm->start_stack = stack_top;
	check_and_switch_context(mm);

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
		aux(AT_BASE, 0);
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
	regs->pc = img.entry + bias;
	regs->sp = sp;
	regs->pstate = PSR_MODE_EL0t; // EL0t with D, A, I, F unmasked
	return {};
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
	kstd::span<const u8> image;
	if (!r) {
		kstd::span<const u8> rd = initramfs_image();
		auto e = rd.empty() ? ErrorOr<cpio::Entry>(Errno::ENOENT) : cpio::find(rd, a.path);
		if (e.is_error())
			r = e.error().neg();
		else if (!e.value().is_reg())
			r = -int(Errno::EACCES);
		else
			image = e.value().data;
	}
	// The new image is checked before anything of the caller goes: a file that is no
	// program leaves the caller as it was (ENOEXEC).
	if (!r) {
		auto parsed = elf::elf_parse(image, a.path);
		if (parsed.is_error())
			r = parsed.error().neg();
	}
	if (!r)
		r = de_thread(t);
	if (!r) {
		if (Result u = exec_unshare_files(t); u.is_error())
			r = u.error().neg();
	}
	if (r) {
		vfree(mem);
		return r;
	}
	mm_struct *old = t->mm;
	t->mm = nullptr;
	pt_regs regs;
	Result res = exec_image(t, a.path, image, kstd::span<const char *const>(a.argv, a.argc),
				kstd::span<const char *const>(a.envp, a.envc), &regs);
	if (res.is_error()) {
		// Not past the point of no return: the caller goes on in its own address space.
		mm_struct *nw = t->mm;
		t->mm = old;
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
		t->mm = old;
		check_and_switch_context(old);
		exec_mm_release(t);
		t->mm = nw;
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
