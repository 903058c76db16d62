// Per-task root, working directory and umask (Linux's fs/fs_struct.c).
#include "core/panic.h"
#include "core/printk.h"
#include "kernel/sched.h"
#include "fs/internal.h"
#include "kstd/new.h"
#include "mm/slab.h"

ErrorOr<fs_struct *> copy_fs_struct(fs_struct *old)
{
	void *mem = kmalloc(sizeof(fs_struct), GFP_KERNEL);
	if (!mem)
		return Errno::ENOMEM;
	auto *fs = new (mem) fs_struct{};
	fs->users = 1;
	fs->umask = __atomic_load_n(&old->umask, __ATOMIC_RELAXED);
	path root, pwd;
	get_fs_root(old, &root);
	get_fs_pwd(old, &pwd);
	SpinLockGuard g(fs->lock);
	fs->root = root;
	fs->pwd = pwd;
	return fs;
}

void put_fs_struct(fs_struct *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->users, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	path root, pwd;
	{
		SpinLockGuard g(fs->lock);
		root = fs->root;
		pwd = fs->pwd;
	}
	path_put(&root);
	path_put(&pwd);
	fs->~fs_struct();
	kfree(fs);
}

void get_fs_root(fs_struct *fs, path *root)
{
	SpinLockGuard g(fs->lock);
	*root = fs->root;
	path_get(root);
}

void get_fs_pwd(fs_struct *fs, path *pwd)
{
	SpinLockGuard g(fs->lock);
	*pwd = fs->pwd;
	path_get(pwd);
}

void set_fs_pwd(fs_struct *fs, const path *p)
{
	path_get(p);
	path old;
	{
		SpinLockGuard g(fs->lock);
		old = fs->pwd;
		fs->pwd = *p;
	}
	path_put(&old);
}

void set_fs_root(fs_struct *fs, const path *p)
{
	path_get(p);
	path old;
	{
		SpinLockGuard g(fs->lock);
		old = fs->root;
		fs->root = *p;
	}
	path_put(&old);
}

// --- a task's files -------------------------------------------------------------------------------

Result init_task_files(task_struct *t)
{
	if (!init_fs())
		return Result{}; // no VFS: a program without files
	if (!t->fs)
		t->fs = TRY(copy_fs_struct(init_fs()));
	if (t->files)
		return Result{};
	t->files = TRY(alloc_files_struct());
	task_struct *saved = current;
	BUG_ON(saved != t); // the descriptor helpers work on current's table
	auto f = filp_open("/dev/console", O_RDWR, 0);
	if (f.is_error()) {
		pr_warn("Warning: unable to open an initial console.\n");
		return Result{};
	}
	for (int i = 0; i < 3; i++) {
		auto fd = install_new_fd(i ? get_file(f.value()) : f.value(), 0);
		BUG_ON(fd.is_error()); // a new table has room for three
	}
	return Result{};
}

void exit_files(task_struct *t)
{
	files_struct *files = t->files;
	fs_struct *fs = t->fs;
	t->files = nullptr;
	t->fs = nullptr;
	put_files_struct(files);
	put_fs_struct(fs);
}

Result copy_files(unsigned long clone_flags, task_struct *parent, task_struct *child)
{
	constexpr unsigned long CLONE_FS = 0x200, CLONE_FILES = 0x400;
	child->files = nullptr;
	child->fs = nullptr;
	if (parent->fs) {
		if (clone_flags & CLONE_FS) {
			__atomic_add_fetch(&parent->fs->users, 1, __ATOMIC_RELAXED);
			child->fs = parent->fs;
		} else {
			child->fs = TRY(copy_fs_struct(parent->fs));
		}
	}
	if (parent->files) {
		if (clone_flags & CLONE_FILES) {
			child->files = get_files_struct(parent->files);
		} else {
			auto nf = dup_fd(parent->files);
			if (nf.is_error()) {
				put_fs_struct(child->fs);
				child->fs = nullptr;
				return nf.error();
			}
			child->files = nf.value();
		}
	}
	return Result{};
}

Result exec_unshare_files(task_struct *t)
{
	files_struct *old = t->files;
	if (!old || __atomic_load_n(&old->count, __ATOMIC_ACQUIRE) == 1)
		return Result{};
	files_struct *nf = TRY(dup_fd(old));
	t->files = nf;
	put_files_struct(old);
	return Result{};
}

void exec_close_files(task_struct *t)
{
	if (t->files)
		do_close_on_exec(t->files);
}
