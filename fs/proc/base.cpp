// /proc/<pid>/ (Linux's fs/proc/base.c, array.c, task_mmu.c): the snapshots of a task and its
// address space that fs/proc/format.cpp prints, and the pid entry table.
//
// Reading another task's mm: the task's alloc_lock (Linux's task_lock) is held by whoever
// changes task->mm (exit_mm, exec); get_task_mm takes a reference under it, so the mm cannot go
// while it is read, and its VMAs are walked under mmap_lock for reading. The task itself is
// held by a reference from find_get_task_by_pid for the whole generation; a task that is gone
// by then makes the read fail with ESRCH, as Linux's.
#include <asm/arch_timer.h>
#include <asm/pgtable.h>

#include "core/cpumask.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/proc/format.h"
#include "fs/proc/internal.h"
#include "fs/proc/proc_fs.h"
#include "kernel/oom.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/tty.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "lib/parse.h"
#include "mm/mm_struct.h"
#include "mm/oom.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"
#include "mm/sparse.h"
#include "mm/struct_page.h"
#include "mm/vmstat.h"

namespace {

constexpr int ESRCH_NEG = -3;

// The arm64 vm_flags this kernel does not keep but Linux always has on a private mapping it
// made (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC from do_mmap: mprotect may add any permission
// here), VM_MAYSHARE on a shared one, VM_ACCOUNT on a private writable one (accounted memory).
constexpr unsigned long VM_MAYREAD = 0x10, VM_MAYWRITE = 0x20, VM_MAYEXEC = 0x40, VM_MAYSHARE = 0x80;
unsigned long linux_vm_flags(unsigned long f)
{
	// VMAs carry Linux's VM_MAY* bits (mm/mmap.cpp); a VMA without any (made by a kernel
	// path that set none) reads as Linux's default of all three.
	if (!(f & (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)))
		f |= VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
	if (f & VM_SHARED)
		f |= VM_MAYSHARE;
	else if ((f & VM_WRITE) && !(f & VM_NORESERVE) && !(f & VM_MAYSHARE))
		f |= VM_ACCOUNT;
	return f;
}

// Linux's get_task_mm: the mm with a reference (mmput), nullptr for a kernel thread or a task
// past exit_mm.
mm_struct *get_task_mm(task_struct *t)
{
	SpinLockGuard g(t->alloc_lock);
	mm_struct *mm = t->mm;
	if (!mm || (t->flags & PF_KTHREAD))
		return nullptr;
	mmget(mm);
	return mm;
}

// The task of a pid entry, with a reference; nullptr when it is gone.
task_struct *entry_task(void *arg) { return find_get_task_by_pid(static_cast<int>(reinterpret_cast<long>(arg))); }

struct task_ref {
	task_struct *t;
	explicit task_ref(void *arg) : t(entry_task(arg)) {}
	~task_ref()
	{
		if (t)
			put_task_struct(t);
	}
	task_ref(const task_ref &) = delete;
	task_ref &operator=(const task_ref &) = delete;
};

struct mm_ref {
	mm_struct *mm;
	explicit mm_ref(task_struct *t) : mm(get_task_mm(t)) {}
	~mm_ref()
	{
		if (mm)
			mmput(mm);
	}
	mm_ref(const mm_ref &) = delete;
	mm_ref &operator=(const mm_ref &) = delete;
};

u64 counter_to_ns(u64 c)
{
	u64 f = arch_timer_get_cntfrq();
	return c / f * 1000000000ull + c % f * 1000000000ull / f;
}

// Linux's vm_stat_account classes, by walking the VMAs (mmap_lock held).
void vma_classes(const mm_struct *mm, proc_task_snapshot *s)
{
	for (vm_area_struct *v = vma_first(mm); v; v = vma_next(v)) {
		unsigned long f = v->vm_flags, n = vma_pages(v);
		if ((f & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) == VM_EXEC)
			s->exec_vm += n;
		else if (f & VM_GROWSDOWN)
			s->stack_vm += n;
		else if ((f & (VM_WRITE | VM_SHARED)) == VM_WRITE)
			s->data_vm += n;
	}
}

struct sig_masks {
	u64 ignored, caught;
};
sig_masks collect_sigactions(task_struct *t)
{
	sig_masks r{};
	SpinLockGuard g(t->sighand->siglock);
	for (int s = 1; s <= _NSIG; s++) {
		u64 h = t->sighand->action[s - 1].handler;
		if (h == SIG_IGN)
			r.ignored |= sigmask(s);
		else if (h != SIG_DFL)
			r.caught |= sigmask(s);
	}
	return r;
}

void fill_snapshot(task_struct *t, mm_struct *mm, proc_task_snapshot *s)
{
	*s = proc_task_snapshot{};
	s->pid = t->pid;
	s->tgid = t->tgid;
	s->ppid = task_ppid(t);
	memcpy(s->comm, t->comm, sizeof(s->comm));
	s->comm[sizeof(s->comm) - 1] = 0;
	s->state = task_state_char(t);
	s->wchan = s->state == 'S' || s->state == 'D' || s->state == 'I';
	s->flags = t->flags;
	s->nice = t->nice;
	s->exit_signal = t->exit_signal;
	s->cpu = t->cpu;
	s->exit_code = t->exit_code;
	s->umask = 022;
	s->fdsize = 64;
	{
		// Linux's task_lock around task->fs and task->files (exit and exec change them).
		SpinLockGuard g(t->alloc_lock);
		if (t->fs)
			s->umask = __atomic_load_n(&t->fs->umask, __ATOMIC_RELAXED);
		if (files_struct *files = t->files) {
			SpinLockGuard fg(files->lock);
			s->fdsize = static_cast<int>(files->max_fds);
		}
	}
	s->min_flt = t->min_flt;
	s->maj_flt = t->maj_flt;
	s->utime_ns = t->utime_ns;
	s->stime_ns = t->stime_ns;
	s->nvcsw = t->nvcsw;
	s->nivcsw = t->nivcsw;
	s->start_time_ns = counter_to_ns(t->start_counter);
	s->no_new_privs = t->no_new_privs;
	s->tty_nr = 0;
	s->tpgid = -1;
	unsigned nr_ids = 0;
	for_each_online_cpu(cpu)
		nr_ids = cpu + 1;
	s->nr_cpu_ids = nr_ids;
	s->cpus_allowed = t->cpus_allowed & ((nr_ids >= 64) ? ~0ul : (1ul << nr_ids) - 1);
	if (signal_struct *sig = t->signal) {
		s->pgrp = sig->pgrp;
		s->session = sig->session;
		s->num_threads = __atomic_load_n(&sig->nr_threads, __ATOMIC_RELAXED);
		s->cmin_flt = sig->cmin_flt;
		s->cmaj_flt = sig->cmaj_flt;
		s->cutime_ns = sig->cutime_ns;
		s->cstime_ns = sig->cstime_ns;
		if (tty_is_ctty(t))
			s->tpgid = tty_foreground_pgrp();
		{
			SpinLockGuard g(t->sighand->siglock);
			s->sig_pending = t->pending.signal;
			s->sig_shared_pending = sig->shared_pending.signal;
			s->sig_blocked = t->blocked;
		}
		sig_masks sm = collect_sigactions(t);
		s->sig_ignored = sm.ignored;
		s->sig_caught = sm.caught;
	}
	// Linux's RLIMIT_SIGPENDING default: max_threads / 2, max_threads being the number of
	// THREAD_SIZE stacks an eighth of memory holds.
	s->sigq_limit = totalram_pages() * 4096 / (16384 * 8) / 2;
	if (mm) {
		s->has_mm = true;
		ReadGuard g(mm->mmap_lock);
		s->total_vm = mm->total_vm;
		s->hiwater_vm = mm->total_vm;
		s->rss_anon = static_cast<unsigned long>(mm->rss_stat[MM_ANONPAGES]);
		s->rss_file = static_cast<unsigned long>(mm->rss_stat[MM_FILEPAGES]);
		s->hiwater_rss = mm->hiwater_rss;
		s->pgtables_bytes = (mm->pgtables + 1) * 4096; // Linux counts the pgd too
		s->start_code = mm->start_code;
		s->end_code = mm->end_code;
		s->start_data = mm->start_data;
		s->end_data = mm->end_data;
		s->start_brk = mm->start_brk;
		s->brk = mm->brk;
		s->start_stack = mm->start_stack;
		s->arg_start = mm->arg_start;
		s->arg_end = mm->arg_end;
		s->env_start = mm->env_start;
		s->env_end = mm->env_end;
		vma_classes(mm, s);
	}
}

int pid_stat_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mm_ref mm(t.t);
	proc_task_snapshot s;
	fill_snapshot(t.t, mm.mm, &s);
	show_pid_stat(m, s);
	return 0;
}

int pid_status_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mm_ref mm(t.t);
	proc_task_snapshot s;
	fill_snapshot(t.t, mm.mm, &s);
	show_pid_status(m, s);
	return 0;
}

int pid_statm_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mm_ref mm(t.t);
	proc_task_snapshot s;
	fill_snapshot(t.t, mm.mm, &s);
	show_pid_statm(m, s);
	return 0;
}

// --- maps and smaps ----------------------------------------------------------------------------------------

// Linux's show_map_vma naming for VMAs without a file: [heap] over the brk area, [stack] over
// the initial stack. A file-backed VMA here maps an in-memory program image, which has no path
// to print (its device and inode are 0 as an anonymous one's).
// One VMA's maps header (Linux's show_map_vma): a file mapping names the file by its path
// from the reader's root (" (deleted)" once unlinked; shared anonymous memory is Linux's
// "/dev/zero (deleted)") with the file system's device and the inode number.
proc_vma_info vma_info(const mm_struct *mm, const vm_area_struct *v, char *buf, usize size)
{
	proc_vma_info i{};
	i.start = v->vm_start;
	i.end = v->vm_end;
	i.vm_flags = linux_vm_flags(v->vm_flags);
	i.pgoff_bytes = v->vm_file ? static_cast<unsigned long long>(v->vm_pgoff) << 12 : 0;
	if (v->vm_file) {
		inode *ino = v->vm_file->f_inode;
		i.dev_major = MAJOR(ino->i_sb->s_dev);
		i.dev_minor = MINOR(ino->i_sb->s_dev);
		i.ino = ino->i_ino;
		fs_struct *fs = current->fs ? current->fs : init_fs();
		path root;
		get_fs_root(fs, &root);
		auto p = d_path(v->vm_file->f_path, root, buf, size);
		path_put(&root);
		if (!p.is_error())
			i.name = p.value();
		return i;
	}
	if (v->vm_start <= mm->brk && v->vm_end >= mm->start_brk)
		i.name = "[heap]";
	else if (v->vm_start <= mm->start_stack && v->vm_end >= mm->start_stack)
		i.name = "[stack]";
	return i;
}

bool page_is_anon(const page *p) { return reinterpret_cast<unsigned long>(p->mapping) & 1; }

// Linux's smaps_pte_entry + smaps_account for every present page of [start, end) (mmap_lock
// held): resident, shared/private by mapcount, PSS as 4 KiB << PSS_SHIFT over the mapcount.
// Anonymous pages count as dirty (Linux: their content exists nowhere else). The shared zero
// page (special) is not counted, as Linux's vm_normal_page leaves it out.
void smaps_account(const mm_struct *mm, const vm_area_struct *v, mem_size_stats *mss)
{
	for (unsigned long addr = v->vm_start; addr < v->vm_end; addr += 4096) {
		u64 *ptep = mm_pte_lookup(mm, addr);
		if (!ptep)
			continue;
		u64 pte = __atomic_load_n(ptep, __ATOMIC_RELAXED);
		if (!pte_present(pte) || pte_special(pte))
			continue;
		unsigned long pfn = pte_pfn(pte);
		if (!pfn_valid(pfn))
			continue;
		const page *p = pfn_to_page(pfn);
		bool anon = page_is_anon(p);
		bool dirty = anon;
		int mapcount = page_mapcount(p);
		u64 pss = 4096ull << PSS_SHIFT;
		mss->resident += 4096;
		mss->referenced += 4096; // every user entry is made with the access flag set
		if (anon)
			mss->anonymous += 4096;
		if (mapcount >= 2) {
			pss /= static_cast<u64>(mapcount);
			(dirty ? mss->shared_dirty : mss->shared_clean) += 4096;
		} else {
			(dirty ? mss->private_dirty : mss->private_clean) += 4096;
		}
		mss->pss += pss;
		if (dirty)
			mss->pss_dirty += pss;
		if (anon)
			mss->pss_anon += pss;
		else
			mss->pss_file += pss;
	}
}

enum class maps_kind { maps, smaps, rollup };

int show_maps_of(seq_file *m, void *arg, maps_kind kind)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mm_ref mm(t.t);
	if (!mm.mm)
		return 0; // a kernel thread: empty, as Linux's
	ReadGuard g(mm.mm->mmap_lock);
	mem_size_stats total{};
	unsigned long first = 0, last = 0;
	char *pathbuf = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL));
	if (!pathbuf)
		return -12; // ENOMEM
	for (vm_area_struct *v = vma_first(mm.mm); v; v = vma_next(v)) {
		proc_vma_info i = vma_info(mm.mm, v, pathbuf, PATH_MAX);
		if (kind == maps_kind::maps) {
			show_map_vma(m, i);
			continue;
		}
		mem_size_stats mss{};
		smaps_account(mm.mm, v, &mss);
		if (kind == maps_kind::smaps) {
			show_smap(m, i, mss);
			continue;
		}
		if (!first)
			first = v->vm_start;
		last = v->vm_end;
		unsigned long *a = &total.resident, *b = &mss.resident;
		for (unsigned k = 0; k < 14; k++)
			a[k] += b[k];
		total.pss += mss.pss;
		total.pss_anon += mss.pss_anon;
		total.pss_file += mss.pss_file;
		total.pss_shmem += mss.pss_shmem;
		total.pss_dirty += mss.pss_dirty;
	}
	kfree(pathbuf);
	if (kind == maps_kind::rollup)
		show_smaps_rollup(m, first, last, total);
	return 0;
}
static_assert(__builtin_offsetof(mem_size_stats, private_hugetlb) - __builtin_offsetof(mem_size_stats, resident) ==
	      13 * sizeof(unsigned long));

int pid_maps_show(seq_file *m, void *arg) { return show_maps_of(m, arg, maps_kind::maps); }
int pid_smaps_show(seq_file *m, void *arg) { return show_maps_of(m, arg, maps_kind::smaps); }
int pid_smaps_rollup_show(seq_file *m, void *arg) { return show_maps_of(m, arg, maps_kind::rollup); }

// --- cmdline, environ, comm --------------------------------------------------------------------------------

// Copies [start, end) of the task's user memory into the seq_file through the page tables
// (Linux's access_remote_vm), a page at a time; stops at the first page that is not present.
void put_user_range(seq_file *m, mm_struct *mm, unsigned long start, unsigned long end)
{
	ReadGuard g(mm->mmap_lock);
	while (start < end) {
		unsigned long page_end = (start | 4095) + 1;
		unsigned long n = (page_end < end ? page_end : end) - start;
		u64 *ptep = mm_pte_lookup(mm, start);
		if (!ptep)
			return;
		u64 pte = __atomic_load_n(ptep, __ATOMIC_RELAXED);
		if (!pte_valid(pte) || !pfn_valid(pte_pfn(pte)))
			return;
		const char *kaddr = static_cast<const char *>(page_address(pfn_to_page(pte_pfn(pte)))) + (start & 4095);
		seq_write(m, kaddr, n);
		start += n;
	}
}

int pid_cmdline_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mm_ref mm(t.t);
	if (mm.mm && mm.mm->arg_end > mm.mm->arg_start)
		put_user_range(m, mm.mm, mm.mm->arg_start, mm.mm->arg_end);
	return 0;
}

int pid_environ_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mm_ref mm(t.t);
	if (mm.mm && mm.mm->env_end > mm.mm->env_start)
		put_user_range(m, mm.mm, mm.mm->env_start, mm.mm->env_end);
	return 0;
}

int pid_comm_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	char comm[16];
	memcpy(comm, t.t->comm, sizeof(comm));
	comm[15] = 0;
	seq_puts(m, comm);
	seq_putc(m, '\n');
	return 0;
}

// Linux's comm_write: the first 15 bytes, a newline ends it; only for the task itself or its
// thread group (every task here is root's, so any).
long pid_comm_write(void *arg, const char *buf, usize len)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	char comm[16] = {};
	usize n = 0;
	while (n < len && n < 15 && buf[n] != '\n')
		n++;
	memcpy(comm, buf, n);
	set_comm(t.t, comm);
	return static_cast<long>(len);
}

// --- mounts ---------------------------------------------------------------------------------------------------

// Linux's show_vfsmnt: "device mountpoint type options 0 0", the path relative to the task's
// root with " \t\n\\" escaped as octal. The mounts are taken with a reference under the
// namespace lock and printed after it (d_path takes that lock itself).
struct mount_list {
	vfsmount *m[64];
	unsigned n;
};

int pid_mounts_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	mount_list l{};
	for_each_mount(
		[](void *ctx, vfsmount *mnt) {
			auto *ml = static_cast<mount_list *>(ctx);
			if (ml->n < 64) {
				mntget(mnt);
				ml->m[ml->n++] = mnt;
			}
		},
		&l);
	path root;
	bool have_root = false;
	{
		SpinLockGuard g(t.t->alloc_lock);
		if (t.t->fs) {
			get_fs_root(t.t->fs, &root);
			have_root = true;
		}
	}
	if (!have_root)
		get_fs_root(init_fs(), &root);
	char *buf = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL));
	for (unsigned i = 0; i < l.n; i++) {
		vfsmount *mnt = l.m[i];
		if (buf) {
			path mp{mnt->mnt_parent, mnt->mnt_mountpoint};
			auto p = d_path(mp, root, buf, PATH_MAX);
			if (!p.is_error()) {
				seq_escape(m, mnt->mnt_devname, " \t\n\\");
				seq_putc(m, ' ');
				seq_escape(m, p.value(), " \t\n\\");
				seq_printf(m, " %s rw", mnt->mnt_sb->s_type->name);
				if (mnt->mnt_sb->s_type == root.mnt->mnt_sb->s_type && mnt == root.mnt) {
					// Linux's shmem_show_options for the root tmpfs.
					u64 blocks, bfree, files, ffree;
					shmem_statfs(mnt->mnt_sb, &blocks, &bfree, &files, &ffree);
					seq_printf(m, ",size=%lluk,nr_inodes=%llu,inode64", static_cast<unsigned long long>(blocks * 4),
						   static_cast<unsigned long long>(files));
				} else {
					seq_puts(m, ",relatime");
				}
				seq_puts(m, " 0 0\n");
			}
		}
		mntput(mnt);
	}
	kfree(buf);
	path_put(&root);
	return buf ? 0 : -12;
}

// --- oom -----------------------------------------------------------------------------------------------------

int pid_oom_score_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	seq_printf(m, "%lu\n", oom_score_of(t.t));
	return 0;
}

int pid_oom_score_adj_show(seq_file *m, void *arg)
{
	task_ref t(arg);
	if (!t.t)
		return ESRCH_NEG;
	seq_printf(m, "%d\n", __atomic_load_n(&t.t->signal->oom_score_adj, __ATOMIC_RELAXED));
	return 0;
}

// Linux's oom_score_adj_write: kstrtoint of the stripped text (EINVAL), the range
// OOM_SCORE_ADJ_MIN..MAX (EINVAL), for the whole process.
long pid_oom_score_adj_write(void *arg, const char *buf, usize len)
{
	char tmp[24];
	usize n = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
	memcpy(tmp, buf, n);
	tmp[n] = 0;
	// strstrip: leading and trailing whitespace.
	char *p = tmp;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	char *e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
		*--e = 0;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	u64 v;
	const char *end;
	if (!*p || !kstd::parse_u64(p, &end, 10, &v) || *end || v > 0x7fffffff)
		return EINVAL_NEG;
	long x = neg ? -static_cast<long>(v) : static_cast<long>(v);
	if (x < OOM_SCORE_ADJ_MIN || x > OOM_SCORE_ADJ_MAX)
		return EINVAL_NEG;
	int r = oom_set_score_adj(static_cast<int>(reinterpret_cast<long>(arg)), static_cast<int>(x));
	if (r < 0)
		return r;
	return static_cast<long>(len);
}

// --- Committed_AS -------------------------------------------------------------------------------------------

// Collects up to `max` address spaces (each once, with a reference) under the task-list lock.
struct mm_list {
	mm_struct **mms;
	unsigned n, max;
	bool truncated;
};
void collect_mm(task_struct *t, void *arg)
{
	auto *l = static_cast<mm_list *>(arg);
	// No room: the task is left out before a reference is taken (a reference dropped here,
	// under the task-list lock, could be the last one and tear the mm down with IRQs off).
	if (l->n == l->max) {
		l->truncated = true;
		return;
	}
	mm_struct *mm = get_task_mm(t);
	if (!mm)
		return;
	for (unsigned i = 0; i < l->n; i++) {
		if (l->mms[i] == mm) {
			// A thread of a process already listed: the list's reference keeps this one
			// from being the last.
			mmput(mm);
			return;
		}
	}
	l->mms[l->n++] = mm;
}

} // namespace

// Linux's vm_committed_as counts what mmap accounted (private writable mappings, VM_ACCOUNT):
// here the same pages summed over every address space at the time of the read.
unsigned long proc_committed_as_pages()
{
	unsigned long max = nr_tasks_alive() + 16;
	mm_struct **arr = new (std::nothrow) mm_struct *[max];
	if (!arr)
		return 0;
	mm_list l{arr, 0, static_cast<unsigned>(max), false};
	for_each_task(collect_mm, &l);
	unsigned long pages = 0;
	for (unsigned i = 0; i < l.n; i++) {
		{
			ReadGuard g(arr[i]->mmap_lock);
			for (vm_area_struct *v = vma_first(arr[i]); v; v = vma_next(v))
				if (linux_vm_flags(v->vm_flags) & VM_ACCOUNT)
					pages += vma_pages(v);
		}
		mmput(arr[i]);
	}
	delete[] arr;
	return pages;
}

void proc_install_hooks() { __atomic_store_n(&meminfo_committed_as, proc_committed_as_pages, __ATOMIC_RELEASE); }

const proc_entry proc_pid_entries[] = {
	{"cmdline", S_IFREG | 0444, pid_cmdline_show, nullptr},
	{"comm", S_IFREG | 0644, pid_comm_show, pid_comm_write},
	{"environ", S_IFREG | 0400, pid_environ_show, nullptr},
	{"maps", S_IFREG | 0444, pid_maps_show, nullptr},
	{"mounts", S_IFREG | 0444, pid_mounts_show, nullptr},
	{"oom_score", S_IFREG | 0444, pid_oom_score_show, nullptr},
	{"oom_score_adj", S_IFREG | 0644, pid_oom_score_adj_show, pid_oom_score_adj_write},
	{"smaps", S_IFREG | 0444, pid_smaps_show, nullptr},
	{"smaps_rollup", S_IFREG | 0444, pid_smaps_rollup_show, nullptr},
	{"stat", S_IFREG | 0444, pid_stat_show, nullptr},
	{"statm", S_IFREG | 0444, pid_statm_show, nullptr},
	{"status", S_IFREG | 0444, pid_status_show, nullptr},
};
const unsigned nr_proc_pid_entries = sizeof(proc_pid_entries) / sizeof(proc_pid_entries[0]);

const proc_entry *proc_find_pid_entry(const char *name)
{
	for (const proc_entry &e : proc_pid_entries)
		if (strcmp(e.name, name) == 0)
			return &e;
	return nullptr;
}

const proc_entry *proc_lookup_path(const char *path, void **arg)
{
	while (*path == '/')
		path++;
	if (strncmp(path, "proc/", 5) == 0)
		path += 5;
	*arg = nullptr;
	if (const proc_entry *e = proc_find_root_entry(path); e && e->show)
		return e;
	// <pid>/<file> or self/<file>.
	const char *slash = strchr(path, '/');
	if (!slash)
		return nullptr;
	long pid;
	if (slash - path == 4 && strncmp(path, "self", 4) == 0) {
		pid = current->tgid;
	} else {
		u64 v;
		const char *end;
		if (!kstd::parse_u64(path, &end, 10, &v) || end != slash || v == 0 || v > 0x7fffffff)
			return nullptr;
		pid = static_cast<long>(v);
	}
	task_struct *t = find_get_task_by_pid(static_cast<int>(pid));
	if (!t)
		return nullptr;
	put_task_struct(t);
	*arg = reinterpret_cast<void *>(pid);
	return proc_find_pid_entry(slash + 1);
}
