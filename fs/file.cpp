// The per-process descriptor table (Linux's fs/file.c): files_struct with its slot array and
// the close-on-exec and open bitmaps, grown on demand up to RLIMIT_NOFILE.
#include "core/panic.h"
#include "fs/internal.h"
#include "kernel/sched.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "mm/slab.h"

namespace {
constexpr unsigned NR_OPEN_DEFAULT = 64; // BITS_PER_LONG, as Linux's first table
constexpr unsigned BPL = 64;

bool test_bit(const unsigned long *map, unsigned i) { return map[i / BPL] >> (i % BPL) & 1; }
void set_bit(unsigned long *map, unsigned i) { map[i / BPL] |= 1ul << (i % BPL); }
void clear_bit(unsigned long *map, unsigned i) { map[i / BPL] &= ~(1ul << (i % BPL)); }

files_struct *cur_files() { return current->files; }

// Allocates slot arrays for n descriptors (n a multiple of 64).
struct fd_arrays {
	file **fd;
	unsigned long *cloexec, *open;
};
bool alloc_arrays(unsigned n, fd_arrays *a)
{
	a->fd = static_cast<file **>(kzalloc(n * sizeof(file *), GFP_KERNEL));
	a->cloexec = static_cast<unsigned long *>(kzalloc(n / 8, GFP_KERNEL));
	a->open = static_cast<unsigned long *>(kzalloc(n / 8, GFP_KERNEL));
	if (!a->fd || !a->cloexec || !a->open) {
		kfree(a->fd);
		kfree(a->cloexec);
		kfree(a->open);
		return false;
	}
	return true;
}

// Grows files so that slot nr exists (Linux's expand_files): the lock is dropped around the
// allocation; true when the table covers nr afterwards. EMFILE beyond the limit, ENOMEM.
Result expand_files(files_struct *f, unsigned nr) TA_REQ(f->lock)
{
	while (nr >= f->max_fds) {
		unsigned n = f->max_fds * 2;
		while (n <= nr)
			n *= 2;
		f->lock.unlock();
		fd_arrays a;
		bool ok = alloc_arrays(n, &a);
		f->lock.lock();
		if (!ok)
			return Errno::ENOMEM;
		if (n <= f->max_fds) { // grown by another thread meanwhile
			kfree(a.fd);
			kfree(a.cloexec);
			kfree(a.open);
			continue;
		}
		memcpy(a.fd, f->fd, f->max_fds * sizeof(file *));
		memcpy(a.cloexec, f->close_on_exec, f->max_fds / 8);
		memcpy(a.open, f->open_fds, f->max_fds / 8);
		kfree(f->fd);
		kfree(f->close_on_exec);
		kfree(f->open_fds);
		f->fd = a.fd;
		f->close_on_exec = a.cloexec;
		f->open_fds = a.open;
		f->max_fds = n;
	}
	return Result{};
}
} // namespace

static ErrorOr<files_struct *> alloc_files_struct_sized(unsigned n)
{
	void *mem = kmalloc(sizeof(files_struct), GFP_KERNEL);
	if (!mem)
		return Errno::ENOMEM;
	auto *f = new (mem) files_struct{};
	fd_arrays a;
	if (!alloc_arrays(n, &a)) {
		f->~files_struct();
		kfree(f);
		return Errno::ENOMEM;
	}
	SpinLockGuard g(f->lock);
	f->count = 1;
	f->max_fds = n;
	f->fd = a.fd;
	f->close_on_exec = a.cloexec;
	f->open_fds = a.open;
	f->next_fd = 0;
	return f;
}

ErrorOr<files_struct *> alloc_files_struct() { return alloc_files_struct_sized(NR_OPEN_DEFAULT); }

files_struct *get_files_struct(files_struct *f)
{
	__atomic_add_fetch(&f->count, 1, __ATOMIC_RELAXED);
	return f;
}

void put_files_struct(files_struct *f)
{
	if (!f || __atomic_sub_fetch(&f->count, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	// The last user: nobody else can reach the table; close everything (Linux's close_files).
	unsigned max;
	file **fds;
	{
		SpinLockGuard g(f->lock);
		max = f->max_fds;
		fds = f->fd;
	}
	for (unsigned i = 0; i < max; i++)
		if (fds[i])
			fput(fds[i]);
	{
		SpinLockGuard g(f->lock);
		kfree(f->fd);
		kfree(f->close_on_exec);
		kfree(f->open_fds);
	}
	f->~files_struct();
	kfree(f);
}

ErrorOr<files_struct *> dup_fd(files_struct *old)
{
	for (;;) {
		unsigned need;
		{
			SpinLockGuard g(old->lock);
			need = old->max_fds;
		}
		files_struct *nf = TRY(alloc_files_struct_sized(need));
		bool fits;
		{
			SpinLockGuard gn(nf->lock);
			SpinLockGuard go(old->lock);
			fits = old->max_fds <= nf->max_fds; // else another thread grew it meanwhile
			for (unsigned i = 0; fits && i < old->max_fds; i++) {
				file *f = old->fd[i];
				// A reserved but not yet installed slot (another thread's open in flight)
				// is not copied, as Linux's dup_fd clears it.
				if (f) {
					nf->fd[i] = get_file(f);
					set_bit(nf->open_fds, i);
					if (test_bit(old->close_on_exec, i))
						set_bit(nf->close_on_exec, i);
				}
			}
		}
		if (fits)
			return nf;
		put_files_struct(nf);
	}
}

unsigned long rlimit_nofile() { return current->signal->rlim_nofile; }

ErrorOr<int> get_unused_fd_flags(unsigned flags, unsigned start)
{
	files_struct *f = cur_files();
	unsigned long limit = rlimit_nofile();
	SpinLockGuard g(f->lock);
	unsigned fd = start < f->next_fd ? f->next_fd : start;
	for (;;) {
		while (fd < f->max_fds && test_bit(f->open_fds, fd))
			fd++;
		if (fd >= limit)
			return Errno::EMFILE;
		if (fd < f->max_fds)
			break;
		TRY(expand_files(f, fd));
	}
	set_bit(f->open_fds, fd);
	if (flags & O_CLOEXEC)
		set_bit(f->close_on_exec, fd);
	else
		clear_bit(f->close_on_exec, fd);
	if (start <= f->next_fd)
		f->next_fd = fd + 1;
	return static_cast<int>(fd);
}

void put_unused_fd(int fd)
{
	files_struct *f = cur_files();
	SpinLockGuard g(f->lock);
	clear_bit(f->open_fds, static_cast<unsigned>(fd));
	if (static_cast<unsigned>(fd) < f->next_fd)
		f->next_fd = static_cast<unsigned>(fd);
}

void fd_install(int fd, file *file)
{
	files_struct *f = cur_files();
	SpinLockGuard g(f->lock);
	BUG_ON(f->fd[fd]);
	f->fd[fd] = file;
}

ErrorOr<int> install_new_fd(file *file, unsigned flags)
{
	int fd = TRY(get_unused_fd_flags(flags));
	fd_install(fd, file);
	return fd;
}

file *fget(unsigned fd)
{
	files_struct *f = cur_files();
	if (!f)
		return nullptr;
	SpinLockGuard g(f->lock);
	if (fd >= f->max_fds || !f->fd[fd])
		return nullptr;
	return get_file(f->fd[fd]);
}

Result close_fd(unsigned fd)
{
	files_struct *f = cur_files();
	file *file;
	{
		SpinLockGuard g(f->lock);
		if (fd >= f->max_fds || !f->fd[fd])
			return Errno::EBADF;
		file = f->fd[fd];
		f->fd[fd] = nullptr;
		clear_bit(f->open_fds, fd);
		clear_bit(f->close_on_exec, fd);
		if (fd < f->next_fd)
			f->next_fd = fd;
	}
	fput(file);
	return Result{};
}

long replace_fd(unsigned newfd, file *file, unsigned flags)
{
	files_struct *f = cur_files();
	if (newfd >= rlimit_nofile()) {
		fput(file);
		return -static_cast<long>(Errno::EBADF);
	}
	struct file *to_put = nullptr;
	long ret = newfd;
	{
		SpinLockGuard g(f->lock);
		if (Result r = expand_files(f, newfd); r.is_error()) {
			to_put = file;
			ret = r.error().neg();
		} else if (!f->fd[newfd] && test_bit(f->open_fds, newfd)) {
			// A slot reserved by an open in another thread is busy (Linux's dup2 race).
			to_put = file;
			ret = -static_cast<long>(Errno::EBUSY);
		} else {
			to_put = f->fd[newfd];
			f->fd[newfd] = file;
			set_bit(f->open_fds, newfd);
			if (flags & O_CLOEXEC)
				set_bit(f->close_on_exec, newfd);
			else
				clear_bit(f->close_on_exec, newfd);
		}
	}
	if (to_put)
		fput(to_put);
	return ret;
}

void set_close_on_exec(unsigned fd, bool on)
{
	files_struct *f = cur_files();
	SpinLockGuard g(f->lock);
	if (fd >= f->max_fds)
		return;
	if (on)
		set_bit(f->close_on_exec, fd);
	else
		clear_bit(f->close_on_exec, fd);
}

bool get_close_on_exec(unsigned fd)
{
	files_struct *f = cur_files();
	SpinLockGuard g(f->lock);
	return fd < f->max_fds && test_bit(f->close_on_exec, fd);
}

void do_close_on_exec(files_struct *f)
{
	for (unsigned i = 0;; i++) {
		file *file = nullptr;
		{
			SpinLockGuard g(f->lock);
			// A word of the bitmap at a time, as Linux's: the table is mostly not close-on-exec.
			while (i < f->max_fds && !(f->close_on_exec[i / 64] >> (i % 64)))
				i = (i / 64 + 1) * 64;
			if (i >= f->max_fds)
				return;
			if (!test_bit(f->close_on_exec, i) || !f->fd[i])
				continue;
			file = f->fd[i];
			f->fd[i] = nullptr;
			clear_bit(f->open_fds, i);
			clear_bit(f->close_on_exec, i);
			if (i < f->next_fd)
				f->next_fd = i;
		}
		fput(file);
	}
}
