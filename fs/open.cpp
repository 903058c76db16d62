// Opening files and the syscalls on names and descriptors (Linux's fs/open.c, fs/namei.c's
// syscalls, fs/read_write.c, fs/stat.c, fs/readdir.c, fs/fcntl.c, fs/ioctl.c, fs/d_path.c,
// fs/namespace.c's mount(2), fs/sync.c), with Linux's argument checks and errno values.
#include <asm/uaccess.h>

#include "core/panic.h"
#include "fs/internal.h"
#include "fs/pipe.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "mm/slab.h"

Result vfs_mkdirat(const path &root, const path &start, const char *name, umode_t mode);
Result vfs_mknodat(const path &root, const path &start, const char *name, umode_t mode, dev_t dev);
Result vfs_symlinkat(const path &root, const path &start, const char *name, const char *target);
Result vfs_unlinkat(const path &root, const path &start, const char *name, bool rmdir);
Result vfs_linkat(const path &old, const path &root, const path &start, const char *newname);
Result vfs_renameat(const path &root, const path &olds, const char *oldname, const path &news, const char *newname,
		    unsigned flags);

namespace {
constexpr long err(Errno e) { return -static_cast<long>(e); }
long res(Result r) { return r.is_error() ? r.error().neg() : 0; }

template <typename T> bool put_user(const T &v, u64 uaddr)
{
	return copy_to_user(reinterpret_cast<void *>(uaddr), &v, sizeof(T)) == 0;
}
template <typename T> bool get_user(T &v, u64 uaddr)
{
	return copy_from_user(&v, reinterpret_cast<const void *>(uaddr), sizeof(T)) == 0;
}

// A path name copied from user memory (Linux's getname): PATH_MAX bytes at most with the NUL.
struct kname {
	char *s = nullptr;
	Errno e = Errno::OK;
	explicit kname(u64 uptr)
	{
		s = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL));
		if (!s) {
			e = Errno::ENOMEM;
			return;
		}
		long n = strncpy_from_user(s, reinterpret_cast<const char *>(uptr), PATH_MAX);
		if (n < 0)
			e = Errno::EFAULT;
		else if (n == PATH_MAX)
			e = Errno::ENAMETOOLONG;
	}
	~kname() { kfree(s); }
	kname(const kname &) = delete;
	kname &operator=(const kname &) = delete;
};

// Kernel threads use the kernel's root and cwd (Linux's init_fs).
fs_struct *cur_fs() { return current->fs ? current->fs : init_fs(); }

// A held file for the duration of a syscall (Linux's fdget/fdput).
struct fd_ref {
	file *f;
	explicit fd_ref(u64 fd) : f(fd > 0x7fffffff ? nullptr : fget(static_cast<unsigned>(fd))) {}
	~fd_ref() { fput(f); }
	fd_ref(const fd_ref &) = delete;
	fd_ref &operator=(const fd_ref &) = delete;
	explicit operator bool() const { return f != nullptr; }
};

// The start of a *at() walk: the cwd for AT_FDCWD (or an absolute name), else dfd's directory.
// With empty_ok an empty name may name dfd itself, whatever it is.
Result get_start(u64 dfd, const char *name, path *start, bool empty_ok = false)
{
	if (name[0] == '/' || static_cast<int>(dfd) == AT_FDCWD) {
		get_fs_pwd(cur_fs(), start);
		return Result{};
	}
	fd_ref f(dfd);
	if (!f)
		return Errno::EBADF;
	if (!f.f->f_path.dentry)
		return name[0] || !empty_ok ? Result(Errno::ENOTDIR) : Result(Errno::EBADF);
	if (!S_ISDIR(f.f->f_inode->i_mode) && !(empty_ok && !name[0]))
		return Errno::ENOTDIR;
	*start = f.f->f_path;
	path_get(start);
	return Result{};
}

// user_path_at: resolves a user name relative to dfd.
ErrorOr<path> user_path_at(u64 dfd, const char *name, unsigned flags)
{
	path start, root;
	TRY(get_start(dfd, name, &start, flags & LOOKUP_EMPTY));
	get_fs_root(cur_fs(), &root);
	auto r = vfs_path_lookup(root, start, name, flags);
	path_put(&root);
	path_put(&start);
	return r;
}

bool may_write(const file *f) { return f->f_mode & FMODE_WRITE; }
bool may_read(const file *f) { return f->f_mode & FMODE_READ; }
} // namespace

// --- llseek ---------------------------------------------------------------------------------------
loff_t generic_file_llseek(file *f, loff_t off, int whence)
{
	loff_t size = f->f_inode->i_size;
	loff_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->f_pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA: // the whole file is data (tmpfs keeps holes, but reports them as Linux's
			// generic_file_llseek does: data up to EOF, a hole at EOF)
		if (off < 0 || off >= size)
			return err(Errno::ENXIO);
		base = 0;
		break;
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return err(Errno::ENXIO);
		off = size;
		base = 0;
		break;
	default:
		return err(Errno::EINVAL);
	}
	loff_t pos;
	if (__builtin_add_overflow(base, off, &pos) || pos < 0)
		return err(Errno::EINVAL);
	f->f_pos = pos;
	return pos;
}

loff_t default_llseek(file *f, loff_t off, int whence) { return generic_file_llseek(f, off, whence); }

// Directories: lseek to a position readdir gave (or 0).
static loff_t dcache_dir_lseek(file *f, loff_t off, int whence)
{
	loff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? f->f_pos : -1;
	if (base < 0)
		return err(Errno::EINVAL);
	loff_t pos = base + off;
	if (pos < 0)
		return err(Errno::EINVAL);
	f->f_pos = pos;
	return pos;
}

static long generic_read_dir(file *, iov_iter *, loff_t *) { return err(Errno::EISDIR); }

const file_operations simple_dir_operations = {
	.llseek = dcache_dir_lseek,
	.read_iter = generic_read_dir,
	.iterate_shared = dcache_readdir,
	.fsync = [](file *, loff_t, loff_t, int) { return 0; },
};

ErrorOr<loff_t> vfs_llseek(file *f, loff_t off, int whence)
{
	if (!(f->f_mode & FMODE_LSEEK) || !f->f_op || !f->f_op->llseek)
		return Errno::ESPIPE;
	loff_t r = f->f_op->llseek(f, off, whence);
	if (r < 0)
		return static_cast<Errno>(-r);
	return r;
}

Result do_truncate(dentry *d, loff_t length)
{
	if (length < 0)
		return Errno::EINVAL;
	inode *ino = d->d_inode;
	if (S_ISDIR(ino->i_mode))
		return Errno::EISDIR;
	if (!S_ISREG(ino->i_mode))
		return Errno::EINVAL;
	if (!ino->i_op || !ino->i_op->setattr)
		return Errno::EPERM;
	iattr a{};
	a.ia_valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME;
	a.ia_size = length;
	return ino->i_op->setattr(d, &a);
}

// --- open ---------------------------------------------------------------------------------------------
// Linux's do_filp_open: the walk, O_CREAT, then the checks on what was found.
// *link_out: set (a reference passing to the caller) instead of opening, when O_CREAT finds
// the final component to be a symlink: do_open then opens its body.
static ErrorOr<file *> do_open_last(const path &root, const path &start, const char *name, unsigned flags,
				    umode_t mode, path *link_out)
{
	unsigned acc = flags & O_ACCMODE;
	if (flags & __O_TMPFILE)
		return Errno::ENOTSUP;
	path p;
	if (flags & O_CREAT) {
		parent_result pr;
		TRY(vfs_path_parent(root, start, name, &pr));
		if (pr.type != LastType::NORM) {
			path_put(&pr.parent);
			return Errno::EISDIR;
		}
		inode *dir = pr.parent.dentry->d_inode;
		dir->i_rwsem.down_write();
		auto dr = lookup_one(pr.parent.dentry, pr.last);
		if (dr.is_error()) {
			dir->i_rwsem.up_write();
			path_put(&pr.parent);
			return dr.error();
		}
		dentry *d = dr.value();
		bool created = false;
		if (!d->d_inode) {
			Result r = pr.trailing_slash ? Result(Errno::EISDIR)
						     : vfs_create(dir, d, mode & ~__atomic_load_n(&cur_fs()->umask, __ATOMIC_RELAXED));
			if (r.is_error()) {
				dput(d);
				dir->i_rwsem.up_write();
				path_put(&pr.parent);
				return r.error();
			}
			created = true;
		} else if (flags & O_EXCL) {
			dput(d);
			dir->i_rwsem.up_write();
			path_put(&pr.parent);
			return Errno::EEXIST;
		}
		dir->i_rwsem.up_write();
		p = {pr.parent.mnt, d};
		mntget(p.mnt);
		path_put(&pr.parent);
		if (!created) {
			// An existing entry: mounts and symlinks are followed as in a plain open.
			if (S_ISLNK(d->d_inode->i_mode)) {
				if (flags & O_NOFOLLOW) {
					path_put(&p);
					return Errno::ELOOP;
				}
				if (!pr.trailing_slash) {
					*link_out = p;
					return Errno::ELOOP; // not seen: do_open follows the link
				}
				path_put(&p);
				auto q = vfs_path_lookup(root, start, name, LOOKUP_FOLLOW);
				if (q.is_error())
					return q.error();
				p = q.value();
			} else if (vfsmount *m = lookup_mnt(p.mnt, p.dentry)) {
				path next{m, dget(m->mnt_root)};
				path_put(&p);
				p = next;
			}
			if (pr.trailing_slash && !S_ISDIR(p.dentry->d_inode->i_mode)) {
				path_put(&p);
				return Errno::EISDIR;
			}
		}
		if (created)
			flags &= ~O_TRUNC;
	} else {
		unsigned lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= LOOKUP_DIRECTORY;
		p = TRY(vfs_path_lookup(root, start, name, lf));
	}
	inode *ino = p.dentry->d_inode;
	auto fail = [&](Errno e) -> ErrorOr<file *> {
		path_put(&p);
		return e;
	};
	if (S_ISLNK(ino->i_mode) && !(flags & O_PATH))
		return fail(Errno::ELOOP); // O_NOFOLLOW on a link
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->i_mode))
		return fail(Errno::ENOTDIR);
	if (S_ISDIR(ino->i_mode) && !(flags & O_PATH) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return fail(Errno::EISDIR);
	if (!(flags & O_PATH) && !ino->i_fop && (S_ISBLK(ino->i_mode) || S_ISSOCK(ino->i_mode)))
		return fail(Errno::ENXIO);
	if ((flags & O_TRUNC) && !(flags & O_PATH) && S_ISREG(ino->i_mode) && acc != O_RDONLY) {
		if (Result r = do_truncate(p.dentry, 0); r.is_error())
			return fail(r.error().code());
	}
	auto f = dentry_open(&p, flags);
	path_put(&p);
	return f;
}

// Linux's open_last_lookups for O_CREAT: a final symlink's body is opened in its turn, with
// O_CREAT, from the link's own directory, so a dangling link creates its target; the links
// followed this way count against MAXSYMLINKS. A loop, not recursion: every round holds a
// path walk's state on the stack.
static ErrorOr<file *> do_open(const path &root, const path &start, const char *name, unsigned flags, umode_t mode)
{
	char *buf = nullptr;
	path dir{};
	file *f = nullptr;
	Errno why = Errno::ELOOP;
	for (int links = 0;; links++) {
		path link{};
		auto r = do_open_last(root, dir.dentry ? dir : start, buf ? buf : name, flags, mode, &link);
		if (!link.dentry) {
			if (r.is_error())
				why = r.error().code();
			else
				f = r.value();
			break;
		}
		if (dir.dentry) {
			path_put(&dir);
			dir = {};
		}
		if (links >= MAXSYMLINKS) {
			path_put(&link);
			why = Errno::ELOOP;
			break;
		}
		if (!buf && !(buf = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL)))) {
			path_put(&link);
			why = Errno::ENOMEM;
			break;
		}
		inode *ino = link.dentry->d_inode;
		const char *target = nullptr;
		if (ino->i_link) {
			if (kstd::strlcpy(buf, ino->i_link, PATH_MAX) < PATH_MAX)
				target = buf;
		} else if (ino->i_op && ino->i_op->get_link) {
			target = ino->i_op->get_link(link.dentry, buf, PATH_MAX);
			if (target && target != buf && kstd::strlcpy(buf, target, PATH_MAX) >= PATH_MAX)
				target = nullptr;
			else if (target)
				target = buf;
		}
		if (!target) {
			path_put(&link);
			why = Errno::ENOENT;
			break;
		}
		// The link's dentry holds its parent: a reference of our own for the next round.
		dir = {link.mnt, dget(link.dentry->d_parent)};
		mntget(dir.mnt);
		path_put(&link);
	}
	if (dir.dentry)
		path_put(&dir);
	kfree(buf);
	if (f)
		return f;
	return why;
}

ErrorOr<file *> vfs_open_at(const path &root, const path &start, const char *name, unsigned flags, umode_t mode)
{
	return do_open(root, start, name, flags, mode);
}

ErrorOr<file *> filp_open(const char *name, unsigned flags, umode_t mode)
{
	path root, pwd;
	fs_struct *fs = current->fs ? current->fs : init_fs();
	get_fs_root(fs, &root);
	get_fs_pwd(fs, &pwd);
	auto f = do_open(root, pwd, name, flags, mode);
	path_put(&root);
	path_put(&pwd);
	return f;
}

long sys_openat(u64 dfd, u64 upath, u64 flags, u64 mode, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	unsigned fl = static_cast<unsigned>(flags);
	// Linux's build_open_flags: O_PATH keeps only the flags that mean something for it.
	if (fl & O_PATH)
		fl &= O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC;
	auto fd = get_unused_fd_flags(fl);
	if (fd.is_error())
		return fd.error().neg();
	path start, root;
	if (Result r = get_start(dfd, n.s, &start); r.is_error()) {
		put_unused_fd(fd.value());
		return r.error().neg();
	}
	get_fs_root(cur_fs(), &root);
	auto f = do_open(root, start, n.s, fl, static_cast<umode_t>(mode & 07777));
	path_put(&root);
	path_put(&start);
	if (f.is_error()) {
		put_unused_fd(fd.value());
		return f.error().neg();
	}
	fd_install(fd.value(), f.value());
	return fd.value();
}

long sys_close(u64 fd, u64, u64, u64, u64, u64)
{
	if (fd > 0x7fffffff)
		return err(Errno::EBADF);
	return res(close_fd(static_cast<unsigned>(fd)));
}

long sys_close_range(u64 first, u64 last, u64 flags, u64, u64, u64)
{
	constexpr u64 CLOSE_RANGE_UNSHARE = 1u << 1, CLOSE_RANGE_CLOEXEC = 1u << 2;
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return err(Errno::EINVAL);
	if (static_cast<u32>(first) > static_cast<u32>(last))
		return err(Errno::EINVAL);
	u64 limit = rlimit_nofile();
	for (u64 fd = static_cast<u32>(first); fd <= static_cast<u32>(last) && fd < limit; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC) {
			if (file *f = fget(static_cast<unsigned>(fd))) {
				set_close_on_exec(static_cast<unsigned>(fd), true);
				fput(f);
			}
		} else {
			(void)close_fd(static_cast<unsigned>(fd));
		}
	}
	return 0;
}

// --- read and write -----------------------------------------------------------------------------------
static long check_rw(file *f, bool write)
{
	if (write ? !may_write(f) : !may_read(f))
		return err(Errno::EBADF);
	if (!f->f_op || !(write ? f->f_op->write_iter : f->f_op->read_iter))
		return err(Errno::EINVAL);
	return 0;
}

// Linux's fdget_pos/fdput_pos: a regular file or directory shared by several descriptors or
// tasks serializes its position; streams (pipes, ttys) never take the lock, so a reader
// blocked in one cannot hold up another. Conditional by design, hence unchecked.
static bool pos_lock(file *f) TA_NO_THREAD_SAFETY_ANALYSIS
{
	if (!(f->f_mode & FMODE_ATOMIC_POS) || __atomic_load_n(&f->f_count, __ATOMIC_RELAXED) <= 1)
		return false;
	f->f_pos_lock.down_write();
	return true;
}
static void pos_unlock(file *f, bool locked) TA_NO_THREAD_SAFETY_ANALYSIS
{
	if (locked)
		f->f_pos_lock.up_write();
}

// One transfer through f_op with the file position (FMODE_ATOMIC_POS files serialize it).
static long do_iter(file *f, iov_iter *it, bool write, loff_t *ppos)
{
	if (long r = check_rw(f, write))
		return r;
	loff_t pos;
	bool use_fpos = !ppos;
	bool lock = use_fpos && pos_lock(f);
	pos = use_fpos ? f->f_pos : *ppos;
	long r = write ? f->f_op->write_iter(f, it, &pos) : f->f_op->read_iter(f, it, &pos);
	if (use_fpos && !(f->f_mode & FMODE_STREAM))
		f->f_pos = pos;
	else if (!use_fpos)
		*ppos = pos;
	pos_unlock(f, lock);
	// SIGPIPE is the writer's business (fs/pipe.cpp's pipe_write sends it, as Linux's): an
	// -EPIPE from elsewhere raises nothing.
	return r;
}

static long rw_buf(u64 fd, u64 ubuf, u64 len, bool write, loff_t *ppos)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (static_cast<i64>(len) < 0)
		return err(Errno::EINVAL);
	if (long r = check_rw(f.f, write))
		return r;
	if (!access_ok(reinterpret_cast<void *>(ubuf), len))
		return err(Errno::EFAULT);
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	iovec_user v{ubuf, len};
	iov_iter it;
	iov_iter_user(&it, !write, &v, 1, len);
	return do_iter(f.f, &it, write, ppos);
}

long sys_read(u64 fd, u64 ubuf, u64 len, u64, u64, u64) { return rw_buf(fd, ubuf, len, false, nullptr); }
long sys_write(u64 fd, u64 ubuf, u64 len, u64, u64, u64) { return rw_buf(fd, ubuf, len, true, nullptr); }

static long pos_check(file *f, i64 pos)
{
	if (pos < 0)
		return err(Errno::EINVAL);
	if (!(f->f_mode & FMODE_PREAD) || (f->f_mode & FMODE_STREAM))
		return err(Errno::ESPIPE);
	return 0;
}

long sys_pread64(u64 fd, u64 ubuf, u64 len, u64 pos, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (long r = pos_check(f.f, static_cast<i64>(pos)))
		return r;
	loff_t p = static_cast<loff_t>(pos);
	return rw_buf(fd, ubuf, len, false, &p);
}

long sys_pwrite64(u64 fd, u64 ubuf, u64 len, u64 pos, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (long r = pos_check(f.f, static_cast<i64>(pos)))
		return r;
	loff_t p = static_cast<loff_t>(pos);
	// O_APPEND files append whatever the offset (Linux's documented pwrite bug).
	return rw_buf(fd, ubuf, len, true, &p);
}

static constexpr u64 UIO_MAXIOV = 1024;

static long rw_vec(u64 fd, u64 uiov, u64 cnt, bool write, loff_t *ppos)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (long r = check_rw(f.f, write))
		return r;
	if (cnt > UIO_MAXIOV)
		return err(Errno::EINVAL);
	if (cnt == 0)
		return 0;
	auto *iov = static_cast<iovec_user *>(kmalloc(cnt * sizeof(iovec_user), GFP_KERNEL));
	if (!iov)
		return err(Errno::ENOMEM);
	long ret = 0;
	if (copy_from_user(iov, reinterpret_cast<const void *>(uiov), cnt * sizeof(iovec_user))) {
		ret = err(Errno::EFAULT);
	} else {
		// Linux's import_iovec: each segment readable/writable as a range, the total at most
		// MAX_RW_COUNT (longer requests are cut short there), negative lengths EINVAL.
		u64 total = 0;
		for (u64 i = 0; i < cnt && ret == 0; i++) {
			if (static_cast<i64>(iov[i].iov_len) < 0)
				ret = err(Errno::EINVAL);
			else if (!access_ok(reinterpret_cast<void *>(iov[i].iov_base), iov[i].iov_len))
				ret = err(Errno::EFAULT);
			else {
				if (iov[i].iov_len > MAX_RW_COUNT - total)
					iov[i].iov_len = MAX_RW_COUNT - total;
				total += iov[i].iov_len;
			}
		}
		if (ret == 0) {
			iov_iter it;
			iov_iter_user(&it, !write, iov, cnt, total);
			ret = do_iter(f.f, &it, write, ppos);
		}
	}
	kfree(iov);
	return ret;
}

long sys_readv(u64 fd, u64 uiov, u64 cnt, u64, u64, u64) { return rw_vec(fd, uiov, cnt, false, nullptr); }
long sys_writev(u64 fd, u64 uiov, u64 cnt, u64, u64, u64) { return rw_vec(fd, uiov, cnt, true, nullptr); }

long sys_preadv(u64 fd, u64 uiov, u64 cnt, u64 pos, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (long r = pos_check(f.f, static_cast<i64>(pos)))
		return r;
	loff_t p = static_cast<loff_t>(pos);
	return rw_vec(fd, uiov, cnt, false, &p);
}

long sys_pwritev(u64 fd, u64 uiov, u64 cnt, u64 pos, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (long r = pos_check(f.f, static_cast<i64>(pos)))
		return r;
	loff_t p = static_cast<loff_t>(pos);
	return rw_vec(fd, uiov, cnt, true, &p);
}

long sys_lseek(u64 fd, u64 off, u64 whence, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (whence > SEEK_HOLE)
		return err(Errno::EINVAL);
	bool lock = pos_lock(f.f);
	auto r = vfs_llseek(f.f, static_cast<loff_t>(off), static_cast<int>(whence));
	pos_unlock(f.f, lock);
	return r.is_error() ? r.error().neg() : r.value();
}

long sys_sendfile(u64 out_fd, u64 in_fd, u64 uoff, u64 count, u64, u64)
{
	fd_ref in(in_fd), out(out_fd);
	if (!in || !out)
		return err(Errno::EBADF);
	if (!may_read(in.f) || !may_write(out.f))
		return err(Errno::EBADF);
	if (!in.f->f_op || !in.f->f_op->read_iter || !out.f->f_op || !out.f->f_op->write_iter)
		return err(Errno::EINVAL);
	if (out.f->f_flags & O_APPEND)
		return err(Errno::EINVAL);
	loff_t pos = 0;
	loff_t *ppos = nullptr;
	if (uoff) {
		if (!get_user(pos, uoff))
			return err(Errno::EFAULT);
		if (pos < 0)
			return err(Errno::EINVAL);
		ppos = &pos;
	}
	if (count > MAX_RW_COUNT)
		count = MAX_RW_COUNT;
	u8 *buf = static_cast<u8 *>(kmalloc(PAGE_SIZE, GFP_KERNEL));
	if (!buf)
		return err(Errno::ENOMEM);
	long done = 0, ret = 0;
	while (static_cast<u64>(done) < count) {
		usize chunk = count - static_cast<u64>(done) < PAGE_SIZE ? count - static_cast<u64>(done) : PAGE_SIZE;
		iov_iter it;
		iov_iter_kernel(&it, true, buf, chunk);
		loff_t rpos = ppos ? *ppos : in.f->f_pos;
		long n = in.f->f_op->read_iter(in.f, &it, &rpos);
		if (n <= 0) {
			ret = n;
			break;
		}
		iov_iter wit;
		iov_iter_kernel(&wit, false, buf, static_cast<usize>(n));
		loff_t wpos = out.f->f_pos;
		long w = out.f->f_op->write_iter(out.f, &wit, &wpos);
		if (w <= 0) {
			ret = w;
			break;
		}
		if (!(out.f->f_mode & FMODE_STREAM))
			out.f->f_pos = wpos;
		// Only what was written counts as read.
		if (ppos)
			*ppos += w;
		else
			in.f->f_pos += w;
		done += w;
		if (w < n)
			break;
		if (signal_pending(current))
			break;
	}
	kfree(buf);
	if (ppos && !put_user(pos, uoff))
		return err(Errno::EFAULT);
	if (done)
		return done;
	return ret; // a pipe's EPIPE came with its SIGPIPE from pipe_write
}

// --- directories -------------------------------------------------------------------------------------
struct getdents_ctx {
	dir_context ctx;
	u64 ubuf;
	usize left;
	usize used;
	long error;
};

long sys_getdents64(u64 fd, u64 ubuf, u64 count, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (!f.f->f_op || !f.f->f_op->iterate_shared)
		return err(Errno::ENOTDIR);
	if (!access_ok(reinterpret_cast<void *>(ubuf), count))
		return err(Errno::EFAULT);
	getdents_ctx g{};
	g.ctx.pos = f.f->f_pos;
	g.ubuf = ubuf;
	g.left = count > 0x7fffffff ? 0x7fffffff : count;
	g.ctx.actor = [](dir_context *c, const char *name, int namlen, loff_t offset, u64 ino, unsigned type) {
		auto *gc = reinterpret_cast<getdents_ctx *>(c);
		// struct linux_dirent64: d_ino, d_off, d_reclen, d_type, d_name, 8-byte aligned.
		usize reclen = (19 + static_cast<usize>(namlen) + 1 + 7) & ~7ul;
		if (reclen > gc->left) {
			if (!gc->used)
				gc->error = err(Errno::EINVAL);
			return false;
		}
		struct {
			u64 ino;
			i64 off;
			u16 reclen;
			u8 type;
		} __attribute__((packed)) hdr{ino, offset + 1, static_cast<u16>(reclen), static_cast<u8>(type)};
		u8 rec[19 + NAME_MAX + 1 + 8] = {};
		memcpy(rec, &hdr, 19);
		memcpy(rec + 19, name, static_cast<usize>(namlen));
		if (copy_to_user(reinterpret_cast<void *>(gc->ubuf + gc->used), rec, reclen)) {
			gc->error = err(Errno::EFAULT);
			return false;
		}
		gc->used += reclen;
		gc->left -= reclen;
		return true;
	};
	f.f->f_pos_lock.down_write();
	inode *ino = f.f->f_inode;
	int r;
	{
		ReadGuard rg(ino->i_rwsem);
		r = f.f->f_op->iterate_shared(f.f, &g.ctx);
	}
	f.f->f_pos = g.ctx.pos;
	f.f->f_pos_lock.up_write();
	if (g.used)
		return static_cast<long>(g.used);
	if (g.error)
		return g.error;
	return r;
}

long sys_getcwd(u64 ubuf, u64 size, u64, u64, u64, u64)
{
	path pwd, root;
	get_fs_pwd(cur_fs(), &pwd);
	get_fs_root(cur_fs(), &root);
	char *buf = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL));
	long ret;
	if (!buf) {
		ret = err(Errno::ENOMEM);
	} else if (pwd.dentry->d_flags & DCACHE_UNHASHED) {
		ret = err(Errno::ENOENT); // the cwd was removed
	} else {
		auto s = d_path(pwd, root, buf, PATH_MAX);
		if (s.is_error()) {
			ret = s.error().neg();
		} else {
			usize len = strlen(s.value()) + 1;
			if (len > size)
				ret = err(Errno::ERANGE);
			else if (copy_to_user(reinterpret_cast<void *>(ubuf), s.value(), len))
				ret = err(Errno::EFAULT);
			else
				ret = static_cast<long>(len);
		}
	}
	kfree(buf);
	path_put(&pwd);
	path_put(&root);
	return ret;
}

long sys_chdir(u64 upath, u64, u64, u64, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	auto p = user_path_at(static_cast<u64>(AT_FDCWD), n.s, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
	if (p.is_error())
		return p.error().neg();
	set_fs_pwd(cur_fs(), &p.value());
	path_put(&p.value());
	return 0;
}

long sys_fchdir(u64 fd, u64, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (!f.f->f_path.dentry || !S_ISDIR(f.f->f_inode->i_mode))
		return err(Errno::ENOTDIR);
	set_fs_pwd(cur_fs(), &f.f->f_path);
	return 0;
}

long sys_chroot(u64 upath, u64, u64, u64, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	auto p = user_path_at(static_cast<u64>(AT_FDCWD), n.s, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
	if (p.is_error())
		return p.error().neg();
	set_fs_root(cur_fs(), &p.value());
	path_put(&p.value());
	return 0;
}

long sys_umask(u64 mask, u64, u64, u64, u64, u64)
{
	return __atomic_exchange_n(&cur_fs()->umask, static_cast<umode_t>(mask & 0777), __ATOMIC_RELAXED);
}

// --- names ---------------------------------------------------------------------------------------
namespace {
struct at_paths {
	path root, start;
	at_paths() = default;
	~at_paths()
	{
		if (root.dentry)
			path_put(&root);
		if (start.dentry)
			path_put(&start);
	}
};
Result get_at(u64 dfd, const char *name, at_paths *ap)
{
	TRY(get_start(dfd, name, &ap->start));
	get_fs_root(cur_fs(), &ap->root);
	return Result{};
}
} // namespace

long sys_mkdirat(u64 dfd, u64 upath, u64 mode, u64, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	at_paths ap;
	if (Result r = get_at(dfd, n.s, &ap); r.is_error())
		return r.error().neg();
	umode_t m = static_cast<umode_t>(mode & 07777 & ~__atomic_load_n(&cur_fs()->umask, __ATOMIC_RELAXED));
	return res(vfs_mkdirat(ap.root, ap.start, n.s, m));
}

long sys_mknodat(u64 dfd, u64 upath, u64 mode, u64 dev, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	umode_t m = static_cast<umode_t>(mode);
	switch (m & S_IFMT) {
	case 0:
	case S_IFREG:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFDIR:
		return err(Errno::EPERM);
	default:
		return err(Errno::EINVAL);
	}
	if (!(m & S_IFMT))
		m |= S_IFREG;
	at_paths ap;
	if (Result r = get_at(dfd, n.s, &ap); r.is_error())
		return r.error().neg();
	m = static_cast<umode_t>((m & S_IFMT) | (m & 07777 & ~__atomic_load_n(&cur_fs()->umask, __ATOMIC_RELAXED)));
	// The user dev_t (huge_encode_dev) back to the kernel's.
	u32 ma = static_cast<u32>((dev >> 8) & 0xfff), mi = static_cast<u32>((dev & 0xff) | ((dev >> 12) & 0xfff00));
	return res(vfs_mknodat(ap.root, ap.start, n.s, m, MKDEV(ma, mi)));
}

long sys_symlinkat(u64 utarget, u64 dfd, u64 upath, u64, u64, u64)
{
	kname t(utarget);
	if (t.e != Errno::OK)
		return err(t.e);
	if (!t.s[0])
		return err(Errno::ENOENT);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	at_paths ap;
	if (Result r = get_at(dfd, n.s, &ap); r.is_error())
		return r.error().neg();
	return res(vfs_symlinkat(ap.root, ap.start, n.s, t.s));
}

long sys_unlinkat(u64 dfd, u64 upath, u64 flags, u64, u64, u64)
{
	if (flags & ~static_cast<u64>(AT_REMOVEDIR))
		return err(Errno::EINVAL);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	at_paths ap;
	if (Result r = get_at(dfd, n.s, &ap); r.is_error())
		return r.error().neg();
	return res(vfs_unlinkat(ap.root, ap.start, n.s, flags & AT_REMOVEDIR));
}

long sys_linkat(u64 olddfd, u64 uold, u64 newdfd, u64 unew, u64 flags, u64)
{
	if (flags & ~static_cast<u64>(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return err(Errno::EINVAL);
	kname o(uold), n(unew);
	if (o.e != Errno::OK)
		return err(o.e);
	if (n.e != Errno::OK)
		return err(n.e);
	unsigned lf = (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	auto old = user_path_at(olddfd, o.s, lf);
	if (old.is_error())
		return old.error().neg();
	at_paths ap;
	long r;
	if (Result g = get_at(newdfd, n.s, &ap); g.is_error())
		r = g.error().neg();
	else
		r = res(vfs_linkat(old.value(), ap.root, ap.start, n.s));
	path_put(&old.value());
	return r;
}

long sys_renameat2(u64 olddfd, u64 uold, u64 newdfd, u64 unew, u64 flags, u64)
{
	kname o(uold), n(unew);
	if (o.e != Errno::OK)
		return err(o.e);
	if (n.e != Errno::OK)
		return err(n.e);
	at_paths a, b;
	if (Result r = get_at(olddfd, o.s, &a); r.is_error())
		return r.error().neg();
	if (Result r = get_at(newdfd, n.s, &b); r.is_error())
		return r.error().neg();
	return res(vfs_renameat(a.root, a.start, o.s, b.start, n.s, static_cast<unsigned>(flags)));
}

long sys_renameat(u64 olddfd, u64 uold, u64 newdfd, u64 unew, u64, u64)
{
	return sys_renameat2(olddfd, uold, newdfd, unew, 0, 0);
}

long sys_readlinkat(u64 dfd, u64 upath, u64 ubuf, u64 bufsiz, u64, u64)
{
	if (static_cast<i64>(bufsiz) <= 0)
		return err(Errno::EINVAL);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	auto p = user_path_at(dfd, n.s, LOOKUP_EMPTY);
	if (p.is_error())
		return p.error().neg();
	inode *ino = p.value().dentry->d_inode;
	long ret;
	char *buf = nullptr;
	const char *target = nullptr;
	if (!S_ISLNK(ino->i_mode)) {
		ret = err(Errno::EINVAL);
	} else {
		target = ino->i_link;
		if (!target && ino->i_op && ino->i_op->get_link) {
			buf = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL));
			target = buf ? ino->i_op->get_link(p.value().dentry, buf, PATH_MAX) : nullptr;
		}
		if (!target) {
			ret = err(buf ? Errno::ENOENT : Errno::ENOMEM);
		} else {
			usize len = strlen(target);
			if (len > bufsiz)
				len = bufsiz;
			ret = copy_to_user(reinterpret_cast<void *>(ubuf), target, len) ? err(Errno::EFAULT) : static_cast<long>(len);
		}
	}
	kfree(buf);
	path_put(&p.value());
	return ret;
}

long sys_faccessat2(u64 dfd, u64 upath, u64 mode, u64 flags, u64, u64)
{
	constexpr u64 S_IRWXO = 7;
	if (mode & ~S_IRWXO)
		return err(Errno::EINVAL);
	if (flags & ~static_cast<u64>(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return err(Errno::EINVAL);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	auto p = user_path_at(dfd, n.s, lf);
	if (p.is_error())
		return p.error().neg();
	// Everyone is root: only execute needs some x bit (Linux's generic_permission for
	// CAP_DAC_OVERRIDE on non-directories).
	inode *ino = p.value().dentry->d_inode;
	long r = 0;
	if ((mode & 1) && !S_ISDIR(ino->i_mode) && !(ino->i_mode & 0111))
		r = err(Errno::EACCES);
	path_put(&p.value());
	return r;
}

long sys_faccessat(u64 dfd, u64 upath, u64 mode, u64, u64, u64) { return sys_faccessat2(dfd, upath, mode, 0, 0, 0); }

// --- attributes -------------------------------------------------------------------------------------
static long setattr(dentry *d, const iattr &a)
{
	inode *ino = d->d_inode;
	if (!ino->i_op || !ino->i_op->setattr) {
		// Device nodes, pipes and /proc entries: mode/owner changes apply to the inode.
		if (a.ia_valid & ATTR_MODE)
			ino->i_mode = static_cast<umode_t>((ino->i_mode & S_IFMT) | (a.ia_mode & 07777));
		if (a.ia_valid & ATTR_UID)
			ino->i_uid = a.ia_uid;
		if (a.ia_valid & ATTR_GID)
			ino->i_gid = a.ia_gid;
		ino->i_ctime = current_time();
		return 0;
	}
	return res(ino->i_op->setattr(d, &a));
}

long sys_fchmodat(u64 dfd, u64 upath, u64 mode, u64, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	auto p = user_path_at(dfd, n.s, LOOKUP_FOLLOW);
	if (p.is_error())
		return p.error().neg();
	iattr a{};
	a.ia_valid = ATTR_MODE | ATTR_CTIME;
	a.ia_mode = static_cast<umode_t>(mode & 07777);
	long r = setattr(p.value().dentry, a);
	path_put(&p.value());
	return r;
}

long sys_fchmod(u64 fd, u64 mode, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f || !f.f->f_op)
		return err(Errno::EBADF);
	iattr a{};
	a.ia_valid = ATTR_MODE | ATTR_CTIME;
	a.ia_mode = static_cast<umode_t>(mode & 07777);
	if (!f.f->f_path.dentry) {
		f.f->f_inode->i_mode = static_cast<umode_t>((f.f->f_inode->i_mode & S_IFMT) | a.ia_mode);
		return 0;
	}
	return setattr(f.f->f_path.dentry, a);
}

static long chown_common(dentry *d, u64 uid, u64 gid)
{
	iattr a{};
	a.ia_valid = ATTR_CTIME;
	if (static_cast<u32>(uid) != 0xffffffffu) {
		a.ia_valid |= ATTR_UID;
		a.ia_uid = static_cast<u32>(uid);
	}
	if (static_cast<u32>(gid) != 0xffffffffu) {
		a.ia_valid |= ATTR_GID;
		a.ia_gid = static_cast<u32>(gid);
	}
	return setattr(d, a);
}

long sys_fchownat(u64 dfd, u64 upath, u64 uid, u64 gid, u64 flags, u64)
{
	if (flags & ~static_cast<u64>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return err(Errno::EINVAL);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	auto p = user_path_at(dfd, n.s, lf);
	if (p.is_error())
		return p.error().neg();
	long r = chown_common(p.value().dentry, uid, gid);
	path_put(&p.value());
	return r;
}

long sys_fchown(u64 fd, u64 uid, u64 gid, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f || !f.f->f_op)
		return err(Errno::EBADF);
	if (!f.f->f_path.dentry)
		return 0;
	return chown_common(f.f->f_path.dentry, uid, gid);
}

long sys_ftruncate(u64 fd, u64 length, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (static_cast<i64>(length) < 0)
		return err(Errno::EINVAL);
	if (!f.f->f_path.dentry || !S_ISREG(f.f->f_inode->i_mode) || !may_write(f.f))
		return err(Errno::EINVAL);
	if (f.f->f_flags & O_APPEND)
		return err(Errno::EPERM);
	return res(do_truncate(f.f->f_path.dentry, static_cast<loff_t>(length)));
}

long sys_truncate(u64 upath, u64 length, u64, u64, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	if (static_cast<i64>(length) < 0)
		return err(Errno::EINVAL);
	auto p = user_path_at(static_cast<u64>(AT_FDCWD), n.s, LOOKUP_FOLLOW);
	if (p.is_error())
		return p.error().neg();
	long r = res(do_truncate(p.value().dentry, static_cast<loff_t>(length)));
	path_put(&p.value());
	return r;
}

long sys_utimensat(u64 dfd, u64 upath, u64 utimes, u64 flags, u64, u64)
{
	constexpr i64 UTIME_NOW = (1l << 30) - 1, UTIME_OMIT = (1l << 30) - 2;
	if (flags & ~static_cast<u64>(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return err(Errno::EINVAL);
	struct {
		i64 sec, nsec;
	} t[2];
	timespec64 now = current_time();
	if (utimes) {
		if (copy_from_user(t, reinterpret_cast<const void *>(utimes), sizeof(t)))
			return err(Errno::EFAULT);
		for (auto &x : t)
			if (x.nsec != UTIME_NOW && x.nsec != UTIME_OMIT && (x.nsec < 0 || x.nsec > 999999999))
				return err(Errno::EINVAL);
	} else {
		t[0] = t[1] = {0, UTIME_NOW};
	}
	path p;
	if (!upath) {
		// futimens: the descriptor itself (Linux's do_utimes with a NULL name).
		fd_ref f(dfd);
		if (!f)
			return err(Errno::EBADF);
		if (!f.f->f_path.dentry)
			return 0;
		p = f.f->f_path;
		path_get(&p);
	} else {
		kname n(upath);
		if (n.e != Errno::OK)
			return err(n.e);
		unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
		if (flags & AT_EMPTY_PATH)
			lf |= LOOKUP_EMPTY;
		auto r = user_path_at(dfd, n.s, lf);
		if (r.is_error())
			return r.error().neg();
		p = r.value();
	}
	inode *ino = p.dentry->d_inode;
	if (t[0].nsec != UTIME_OMIT)
		ino->i_atime = t[0].nsec == UTIME_NOW ? now : timespec64{t[0].sec, t[0].nsec};
	if (t[1].nsec != UTIME_OMIT)
		ino->i_mtime = t[1].nsec == UTIME_NOW ? now : timespec64{t[1].sec, t[1].nsec};
	ino->i_ctime = now;
	path_put(&p);
	return 0;
}

// --- stat ---------------------------------------------------------------------------------------------
namespace {
struct k_stat {
	u64 dev, ino;
	u32 mode, nlink, uid, gid;
	u64 rdev, pad1;
	i64 size;
	i32 blksize, pad2;
	i64 blocks;
	i64 atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
	u32 unused[2];
};
static_assert(sizeof(k_stat) == 128, "asm-generic struct stat");

void getattr(inode *ino, kstat *st)
{
	generic_fillattr(ino, st);
}

long put_stat(const kstat &s, u64 ust)
{
	k_stat st{};
	st.dev = new_encode_dev(s.dev);
	st.ino = s.ino;
	st.mode = s.mode;
	st.nlink = s.nlink;
	st.uid = s.uid;
	st.gid = s.gid;
	st.rdev = new_encode_dev(s.rdev);
	st.size = s.size;
	st.blksize = static_cast<i32>(s.blksize);
	st.blocks = static_cast<i64>(s.blocks);
	st.atime = s.atime.tv_sec;
	st.atime_ns = s.atime.tv_nsec;
	st.mtime = s.mtime.tv_sec;
	st.mtime_ns = s.mtime.tv_nsec;
	st.ctime = s.ctime.tv_sec;
	st.ctime_ns = s.ctime.tv_nsec;
	return put_user(st, ust) ? 0 : err(Errno::EFAULT);
}

// The file behind (dfd, name, flags) for the stat family: a path or dfd's file.
ErrorOr<inode *> stat_target(u64 dfd, const char *name, unsigned flags, path *hold, file **fhold)
{
	*fhold = nullptr;
	hold->dentry = nullptr;
	if (!name[0] && (flags & AT_EMPTY_PATH)) {
		if (static_cast<int>(dfd) == AT_FDCWD) {
			get_fs_pwd(cur_fs(), hold);
			return hold->dentry->d_inode;
		}
		file *f = dfd > 0x7fffffff ? nullptr : fget(static_cast<unsigned>(dfd));
		if (!f)
			return Errno::EBADF;
		*fhold = f;
		return f->f_inode;
	}
	unsigned lf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
	*hold = TRY(user_path_at(dfd, name, lf));
	return hold->dentry->d_inode;
}
} // namespace

long sys_newfstatat(u64 dfd, u64 upath, u64 ust, u64 flags, u64, u64)
{
	if (flags & ~static_cast<u64>(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH))
		return err(Errno::EINVAL);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	path hold;
	file *fh;
	auto ino = stat_target(dfd, n.s, static_cast<unsigned>(flags), &hold, &fh);
	if (ino.is_error())
		return ino.error().neg();
	kstat s;
	getattr(ino.value(), &s);
	if (hold.dentry)
		path_put(&hold);
	fput(fh);
	return put_stat(s, ust);
}

long sys_fstat(u64 fd, u64 ust, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	kstat s;
	getattr(f.f->f_inode, &s);
	return put_stat(s, ust);
}

long sys_statx(u64 dfd, u64 upath, u64 flags, u64 mask, u64 ubuf, u64)
{
	constexpr u64 AT_STATX_SYNC_TYPE = 0x6000, STATX__RESERVED = 0x80000000u;
	if (mask & STATX__RESERVED)
		return err(Errno::EINVAL);
	if (flags & ~static_cast<u64>(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
		return err(Errno::EINVAL);
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return err(Errno::EINVAL);
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	path hold;
	file *fh;
	auto ino = stat_target(dfd, n.s, static_cast<unsigned>(flags), &hold, &fh);
	if (ino.is_error())
		return ino.error().neg();
	kstat s;
	getattr(ino.value(), &s);
	u64 mnt_id = 0;
	if (hold.dentry)
		path_put(&hold);
	fput(fh);
	struct statx_ts {
		i64 tv_sec;
		u32 tv_nsec;
		i32 reserved;
	};
	struct {
		u32 stx_mask, stx_blksize;
		u64 stx_attributes;
		u32 stx_nlink, stx_uid, stx_gid;
		u16 stx_mode, spare0;
		u64 stx_ino, stx_size, stx_blocks, stx_attributes_mask;
		statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
		u32 stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
		u64 stx_mnt_id;
		u32 stx_dio_mem_align, stx_dio_offset_align;
		u64 spare3[12];
	} sx{};
	static_assert(sizeof(sx) == 256, "struct statx");
	sx.stx_mask = 0x7ff; // STATX_BASIC_STATS
	sx.stx_blksize = s.blksize;
	sx.stx_nlink = s.nlink;
	sx.stx_uid = s.uid;
	sx.stx_gid = s.gid;
	sx.stx_mode = s.mode;
	sx.stx_ino = s.ino;
	sx.stx_size = static_cast<u64>(s.size);
	sx.stx_blocks = s.blocks;
	sx.stx_atime = {s.atime.tv_sec, static_cast<u32>(s.atime.tv_nsec), 0};
	sx.stx_mtime = {s.mtime.tv_sec, static_cast<u32>(s.mtime.tv_nsec), 0};
	sx.stx_ctime = {s.ctime.tv_sec, static_cast<u32>(s.ctime.tv_nsec), 0};
	sx.stx_rdev_major = MAJOR(s.rdev);
	sx.stx_rdev_minor = MINOR(s.rdev);
	sx.stx_dev_major = MAJOR(s.dev);
	sx.stx_dev_minor = MINOR(s.dev);
	sx.stx_mnt_id = mnt_id;
	return put_user(sx, ubuf) ? 0 : err(Errno::EFAULT);
}

// struct statfs (asm-generic, 120 bytes).
static long do_statfs(inode *ino, u64 ubuf)
{
	struct {
		i64 f_type, f_bsize;
		u64 f_blocks, f_bfree, f_bavail, f_files, f_ffree;
		i32 f_fsid[2];
		i64 f_namelen, f_frsize, f_flags;
		i64 f_spare[4];
	} st{};
	static_assert(sizeof(st) == 120, "struct statfs");
	super_block *sb = ino->i_sb;
	st.f_type = static_cast<i64>(sb->s_magic);
	st.f_bsize = 4096;
	st.f_namelen = NAME_MAX;
	st.f_frsize = 4096;
	st.f_fsid[0] = static_cast<i32>(sb->s_dev);
	if (sb->s_type == &shmem_fs_type)
		shmem_statfs(sb, &st.f_blocks, &st.f_bfree, &st.f_files, &st.f_ffree);
	st.f_bavail = st.f_bfree;
	return put_user(st, ubuf) ? 0 : err(Errno::EFAULT);
}

long sys_statfs(u64 upath, u64 ubuf, u64, u64, u64, u64)
{
	kname n(upath);
	if (n.e != Errno::OK)
		return err(n.e);
	auto p = user_path_at(static_cast<u64>(AT_FDCWD), n.s, LOOKUP_FOLLOW);
	if (p.is_error())
		return p.error().neg();
	long r = do_statfs(p.value().dentry->d_inode, ubuf);
	path_put(&p.value());
	return r;
}

long sys_fstatfs(u64 fd, u64 ubuf, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	return do_statfs(f.f->f_inode, ubuf);
}

// --- descriptors ----------------------------------------------------------------------------------
long sys_dup(u64 fd, u64, u64, u64, u64, u64)
{
	file *f = fd > 0x7fffffff ? nullptr : fget(static_cast<unsigned>(fd));
	if (!f)
		return err(Errno::EBADF);
	auto n = install_new_fd(f, 0);
	if (n.is_error()) {
		fput(f);
		return n.error().neg();
	}
	return n.value();
}

long sys_dup3(u64 oldfd, u64 newfd, u64 flags, u64, u64, u64)
{
	if (flags & ~static_cast<u64>(O_CLOEXEC))
		return err(Errno::EINVAL);
	if (oldfd == newfd)
		return err(Errno::EINVAL);
	file *f = oldfd > 0x7fffffff ? nullptr : fget(static_cast<unsigned>(oldfd));
	if (!f)
		return err(Errno::EBADF);
	if (newfd > 0x7fffffff) {
		fput(f);
		return err(Errno::EBADF);
	}
	return replace_fd(static_cast<unsigned>(newfd), f, static_cast<unsigned>(flags));
}

long sys_fcntl(u64 fd, u64 cmd, u64 arg, u64, u64, u64)
{
	constexpr unsigned F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_GETLK = 5, F_SETLK = 6,
			   F_SETLKW = 7, F_DUPFD_CLOEXEC = 1030;
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	unsigned c = static_cast<unsigned>(cmd);
	unsigned ufd = static_cast<unsigned>(fd);
	switch (c) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		if (arg >= rlimit_nofile())
			return err(Errno::EINVAL);
		auto n = get_unused_fd_flags(c == F_DUPFD_CLOEXEC ? O_CLOEXEC : 0, static_cast<unsigned>(arg));
		if (n.is_error())
			return n.error().neg();
		fd_install(n.value(), get_file(f.f));
		return n.value();
	}
	case F_GETFD:
		return get_close_on_exec(ufd) ? 1 : 0;
	case F_SETFD:
		set_close_on_exec(ufd, arg & 1);
		return 0;
	case F_GETFL:
		return f.f->f_flags | (f.f->f_mode & FMODE_READ && f.f->f_mode & FMODE_WRITE ? O_RDWR
					 : f.f->f_mode & FMODE_WRITE			  ? O_WRONLY
											  : O_RDONLY);
	case F_SETFL: {
		// Linux's SETFL_MASK: O_APPEND, O_NONBLOCK, O_NDELAY, O_DIRECT, O_NOATIME, FASYNC.
		constexpr unsigned SETFL_MASK = O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | FASYNC;
		unsigned nf = static_cast<unsigned>(arg);
		__atomic_store_n(&f.f->f_flags, (nf & SETFL_MASK) | (f.f->f_flags & ~SETFL_MASK), __ATOMIC_RELAXED);
		return 0;
	}
	case F_SETPIPE_SZ:
	case F_GETPIPE_SZ:
		return pipe_fcntl(f.f, c, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
		return err(Errno::EINVAL); // no locks yet (documented)
	default:
		return err(Errno::EINVAL);
	}
}

long sys_ioctl(u64 fd, u64 cmd, u64 arg, u64, u64, u64)
{
	constexpr unsigned FIOCLEX = 0x5451, FIONCLEX = 0x5450, FIONBIO = 0x5421, FIOASYNC = 0x5452;
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	unsigned c = static_cast<unsigned>(cmd); // an unsigned int: the upper half is not part of it
	switch (c) {
	case FIOCLEX:
		set_close_on_exec(static_cast<unsigned>(fd), true);
		return 0;
	case FIONCLEX:
		set_close_on_exec(static_cast<unsigned>(fd), false);
		return 0;
	case FIONBIO: {
		int on;
		if (!get_user(on, arg))
			return err(Errno::EFAULT);
		if (on)
			__atomic_fetch_or(&f.f->f_flags, O_NONBLOCK, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&f.f->f_flags, ~O_NONBLOCK, __ATOMIC_RELAXED);
		return 0;
	}
	case FIOASYNC:
		return 0;
	default:
		break;
	}
	if (!f.f->f_op || !f.f->f_op->unlocked_ioctl)
		return err(Errno::ENOTTY);
	return f.f->f_op->unlocked_ioctl(f.f, c, arg);
}

// --- sync ---------------------------------------------------------------------------------------------
long sys_sync(u64, u64, u64, u64, u64, u64) { return 0; } // tmpfs: nothing to write back
long sys_syncfs(u64 fd, u64, u64, u64, u64, u64)
{
	fd_ref f(fd);
	return f ? 0 : err(Errno::EBADF);
}
long sys_fsync(u64 fd, u64, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (!f.f->f_op || !f.f->f_op->fsync)
		return err(Errno::EINVAL);
	return f.f->f_op->fsync(f.f, 0, 0x7fffffffffffffffll, 0);
}
long sys_fdatasync(u64 fd, u64, u64, u64, u64, u64)
{
	fd_ref f(fd);
	if (!f)
		return err(Errno::EBADF);
	if (!f.f->f_op || !f.f->f_op->fsync)
		return err(Errno::EINVAL);
	return f.f->f_op->fsync(f.f, 0, 0x7fffffffffffffffll, 1);
}

// --- mount -------------------------------------------------------------------------------------------
long sys_mount(u64 udev, u64 udir, u64 utype, u64 flags, u64 udata, u64)
{
	constexpr u64 MS_REMOUNT = 32, MS_BIND = 4096, MS_MOVE = 8192;
	kname dir(udir);
	if (dir.e != Errno::OK)
		return err(dir.e);
	if (flags & (MS_REMOUNT | MS_BIND | MS_MOVE))
		return err(Errno::EINVAL); // only new mounts of proc/tmpfs (documented)
	char type[32], devname[64];
	if (!utype)
		return err(Errno::EINVAL);
	long tn = strncpy_from_user(type, reinterpret_cast<const char *>(utype), sizeof(type));
	if (tn < 0)
		return err(Errno::EFAULT);
	if (tn == static_cast<long>(sizeof(type)))
		return err(Errno::ENODEV);
	devname[0] = '\0';
	if (udev) {
		long dn = strncpy_from_user(devname, reinterpret_cast<const char *>(udev), sizeof(devname));
		if (dn < 0)
			return err(Errno::EFAULT);
		devname[sizeof(devname) - 1] = '\0';
	}
	(void)udata;
	auto p = user_path_at(static_cast<u64>(AT_FDCWD), dir.s, LOOKUP_FOLLOW);
	if (p.is_error())
		return p.error().neg();
	long r = res(do_mount(p.value(), type, devname[0] ? devname : type, flags, nullptr));
	path_put(&p.value());
	return r;
}

long sys_umount2(u64 udir, u64 flags, u64, u64, u64, u64)
{
	constexpr u64 MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return err(Errno::EINVAL);
	kname dir(udir);
	if (dir.e != Errno::OK)
		return err(dir.e);
	auto p = user_path_at(static_cast<u64>(AT_FDCWD), dir.s, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW);
	if (p.is_error())
		return p.error().neg();
	long r = res(do_umount(p.value(), static_cast<int>(flags)));
	path_put(&p.value());
	return r;
}
