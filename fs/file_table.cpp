// Open files (Linux's fs/file_table.c and fs/open.c's dentry_open): allocation, references,
// the last fput, and the kernel's own open/read/write.
#include "core/panic.h"
#include "fs/internal.h"
#include "kernel/sched.h"
#include "kstd/new.h"
#include "mm/slab.h"

namespace {
kmem_cache *filp_cachep;
long nr_files;

ErrorOr<file *> alloc_empty_file(unsigned flags)
{
	if (!filp_cachep) {
		filp_cachep = kmem_cache_create("filp", sizeof(file), 8, SLAB_NONE, nullptr);
		if (!filp_cachep)
			return Errno::ENOMEM;
	}
	void *mem = kmem_cache_alloc(filp_cachep, GFP_KERNEL);
	if (!mem)
		return Errno::ENOMEM;
	auto *f = new (mem) file{};
	f->f_count = 1;
	f->f_flags = flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
	// Linux's OPEN_FMODE: the access mode's bits become FMODE_READ/FMODE_WRITE.
	unsigned acc = flags & O_ACCMODE;
	f->f_mode = (acc == O_RDONLY || acc == O_RDWR ? FMODE_READ : 0) |
		    (acc == O_WRONLY || acc == O_RDWR ? FMODE_WRITE : 0);
	if (flags & O_PATH)
		f->f_mode = 0;
	__atomic_add_fetch(&nr_files, 1, __ATOMIC_RELAXED);
	return f;
}

void file_free(file *f)
{
	f->~file();
	kmem_cache_free(filp_cachep, f);
	__atomic_sub_fetch(&nr_files, 1, __ATOMIC_RELAXED);
}
} // namespace

long vfs_file_count() { return __atomic_load_n(&nr_files, __ATOMIC_RELAXED); }
long vfs_inode_count();
long vfs_dentry_count();
long vfs_mount_count();
vfs_counts vfs_object_counts() { return {vfs_inode_count(), vfs_dentry_count(), vfs_file_count(), vfs_mount_count()}; }

file *get_file(file *f)
{
	__atomic_add_fetch(&f->f_count, 1, __ATOMIC_RELAXED);
	return f;
}

void fput(file *f)
{
	if (!f)
		return;
	int c = __atomic_sub_fetch(&f->f_count, 1, __ATOMIC_ACQ_REL);
	BUG_ON(c < 0);
	if (c)
		return;
	// Linux defers this to task_work; here the caller is always in a context that may sleep.
	if (f->f_op && f->f_op->release)
		f->f_op->release(f->f_inode, f);
	path p = f->f_path;
	inode *pseudo = p.dentry ? nullptr : f->f_inode;
	file_free(f);
	if (p.dentry)
		path_put(&p);
	else
		iput(pseudo);
}

ErrorOr<file *> dentry_open(const path *p, unsigned flags)
{
	file *f = TRY(alloc_empty_file(flags));
	inode *ino = p->dentry->d_inode;
	f->f_path = *p;
	path_get(p);
	f->f_inode = ino;
	f->f_mapping = ino->i_mapping;
	if (flags & O_PATH) {
		f->f_op = nullptr;
		return f;
	}
	f->f_op = ino->i_fop;
	f->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	if (S_ISREG(ino->i_mode) || S_ISDIR(ino->i_mode))
		f->f_mode |= FMODE_ATOMIC_POS;
	if (f->f_op && f->f_op->open) {
		int r = f->f_op->open(ino, f);
		if (r) {
			// open failed: no release (Linux's do_dentry_open cleanup).
			f->f_op = nullptr;
			fput(f);
			return Error(static_cast<Errno>(-r));
		}
	}
	return f;
}

ErrorOr<file *> alloc_file_pseudo(inode *ino, const char *name, unsigned flags, const file_operations *fops)
{
	(void)name;
	auto f = alloc_empty_file(flags);
	if (f.is_error()) {
		iput(ino);
		return f.error();
	}
	file *fl = f.value();
	fl->f_inode = ino;
	fl->f_mapping = ino->i_mapping;
	fl->f_op = fops;
	fl->f_mode |= FMODE_STREAM;
	return fl;
}

void filp_close(file *f) { fput(f); }

long kernel_read(file *f, void *buf, usize count, loff_t *pos)
{
	if (!(f->f_mode & FMODE_READ))
		return -static_cast<long>(Errno::EBADF);
	if (!f->f_op || !f->f_op->read_iter)
		return -static_cast<long>(Errno::EINVAL);
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	iov_iter it;
	iov_iter_kernel(&it, true, buf, count);
	return f->f_op->read_iter(f, &it, pos);
}

long kernel_write(file *f, const void *buf, usize count, loff_t *pos)
{
	if (!(f->f_mode & FMODE_WRITE))
		return -static_cast<long>(Errno::EBADF);
	if (!f->f_op || !f->f_op->write_iter)
		return -static_cast<long>(Errno::EINVAL);
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	iov_iter it;
	iov_iter_kernel(&it, false, const_cast<void *>(buf), count);
	return f->f_op->write_iter(f, &it, pos);
}

__poll_t vfs_poll(file *f, poll_table_struct *pt)
{
	if (!f->f_op || !f->f_op->poll)
		return DEFAULT_POLLMASK;
	return f->f_op->poll(f, pt);
}
