// The virtual file system (Linux's include/linux/fs.h, dcache.h, mount.h, namei.h, reduced):
// inodes, dentries, super blocks, mounts, open files and their operations.
//
// Object lifetimes (all reference counted, as Linux's):
// - inode: i_count references; the last iput() of an inode with i_nlink == 0 (or of a pseudo
//   inode: a pipe, a /proc entry) frees it with its page cache (truncate_inode_pages) and its
//   private data (super_operations::evict_inode). A dentry holds one reference on its inode.
// - dentry: d_count references; a dentry holds one on its parent. The tree of dentries is the
//   directory structure of tmpfs (as Linux's ramfs/shmem: the dcache *is* the directory), so a
//   positive tmpfs dentry stays until unlink/rmdir drops the extra reference it was created
//   with (d_make_persistent). /proc dentries go at their last dput (d_op->d_delete true).
// - file: f_count references (one per file-table slot, dup, fork, and every in-progress
//   syscall that looked it up with fget). The last fput() calls f_op->release and drops the
//   dentry, mount and inode.
// - super_block and vfsmount: held by their mounts; umount of a busy mount is EBUSY.
//
// Locking: one sleeping lock per inode (i_rwsem, Linux's) serializes changes of a directory's
// entries and of a file's size and pages; rename takes the global rename_lock (s_vfs_rename_mutex)
// first. The dcache's parent/child lists are under dcache_lock (a spinlock, Linux's d_lock
// reduced to one lock); reference counts are atomics. file-table slots are under files->lock.
#pragma once

#include "core/rwsem.h"
#include "core/spinlock.h"
#include "kstd/list.h"
#include "kstd/result.h"
#include "kstd/types.h"
#include "mm/xarray.h"

struct inode;
struct dentry;
struct file;
struct super_block;
struct vfsmount;
struct vm_area_struct;
struct page;
struct task_struct;
struct poll_table_struct;
struct pipe_inode_info;
struct address_space;
struct wait_queue_head;

using umode_t = u16;
using loff_t = i64;
using dev_t = u32; // Linux's kernel dev_t: major << 20 | minor (MKDEV)
using __poll_t = u32;

inline constexpr dev_t MINORBITS = 20;
constexpr dev_t MKDEV(u32 ma, u32 mi) { return (ma << MINORBITS) | mi; }
constexpr u32 MAJOR(dev_t d) { return d >> MINORBITS; }
constexpr u32 MINOR(dev_t d) { return d & ((1u << MINORBITS) - 1); }
// The user-visible (stat's st_dev/st_rdev) encoding, Linux's new_encode_dev.
constexpr u64 new_encode_dev(dev_t d)
{
	u64 ma = MAJOR(d), mi = MINOR(d);
	return (mi & 0xff) | (ma << 8) | ((mi & ~0xffull) << 12);
}

// st_mode (Linux's values).
inline constexpr umode_t S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000,
			 S_IFBLK = 0060000, S_IFDIR = 0040000, S_IFCHR = 0020000, S_IFIFO = 0010000;
inline constexpr umode_t S_ISUID = 04000, S_ISGID = 02000, S_ISVTX = 01000;
constexpr bool S_ISDIR(umode_t m) { return (m & S_IFMT) == S_IFDIR; }
constexpr bool S_ISREG(umode_t m) { return (m & S_IFMT) == S_IFREG; }
constexpr bool S_ISLNK(umode_t m) { return (m & S_IFMT) == S_IFLNK; }
constexpr bool S_ISCHR(umode_t m) { return (m & S_IFMT) == S_IFCHR; }
constexpr bool S_ISBLK(umode_t m) { return (m & S_IFMT) == S_IFBLK; }
constexpr bool S_ISFIFO(umode_t m) { return (m & S_IFMT) == S_IFIFO; }
constexpr bool S_ISSOCK(umode_t m) { return (m & S_IFMT) == S_IFSOCK; }

// open(2) flags (asm-generic/fcntl.h with arm64's O_DIRECTORY/O_NOFOLLOW/O_DIRECT/O_LARGEFILE).
inline constexpr u32 O_ACCMODE = 03, O_RDONLY = 00, O_WRONLY = 01, O_RDWR = 02;
inline constexpr u32 O_CREAT = 0100, O_EXCL = 0200, O_NOCTTY = 0400, O_TRUNC = 01000, O_APPEND = 02000,
		     O_NONBLOCK = 04000, O_DSYNC = 010000, FASYNC = 020000, O_DIRECTORY = 040000,
		     O_NOFOLLOW = 0100000, O_DIRECT = 0200000, O_LARGEFILE = 0400000, O_NOATIME = 01000000,
		     O_CLOEXEC = 02000000, __O_SYNC = 04000000, O_PATH = 010000000, __O_TMPFILE = 020000000;
inline constexpr int AT_FDCWD = -100;
inline constexpr u32 AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400,
		     AT_EACCESS = 0x200, AT_NO_AUTOMOUNT = 0x800, AT_EMPTY_PATH = 0x1000;
inline constexpr int SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, SEEK_DATA = 3, SEEK_HOLE = 4;
inline constexpr long PATH_MAX = 4096;
inline constexpr long NAME_MAX = 255;
// Linux's MAX_RW_COUNT: the most one read/write moves.
inline constexpr u64 MAX_RW_COUNT = 0x7ffff000;

// f_mode bits (Linux's FMODE_*).
inline constexpr u32 FMODE_READ = 0x1, FMODE_WRITE = 0x2, FMODE_LSEEK = 0x4, FMODE_PREAD = 0x8,
		     FMODE_PWRITE = 0x10, FMODE_EXEC = 0x20, FMODE_ATOMIC_POS = 0x8000,
		     FMODE_STREAM = 0x200000;

// poll events (Linux's uapi/asm-generic/poll.h).
inline constexpr __poll_t EPOLLIN = 0x1, EPOLLPRI = 0x2, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10,
			  EPOLLNVAL = 0x20, EPOLLRDNORM = 0x40, EPOLLRDBAND = 0x80, EPOLLWRNORM = 0x100,
			  EPOLLWRBAND = 0x200, EPOLLMSG = 0x400, EPOLLRDHUP = 0x2000;
inline constexpr __poll_t DEFAULT_POLLMASK = EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM;

struct timespec64 {
	i64 tv_sec;
	long tv_nsec;
};
timespec64 current_time();

// --- data movement ---------------------------------------------------------------------------------
// Linux's iov_iter reduced to the two kinds the kernel needs: user iovecs (read/write/readv/
// writev/pread/pwrite) and one kernel buffer (kernel_read/kernel_write, exec, /proc writes).
// Copies stop at the first fault; the caller returns what moved, or -EFAULT when nothing did.
struct iovec_user {
	u64 iov_base;
	u64 iov_len;
};
struct iov_iter {
	bool user;
	bool dest; // data moves into the iovecs (a read); false: out of them (a write)
	const iovec_user *iov; // kernel copy of the user's iovec array (user == true)
	unsigned long nr_segs;
	usize iov_offset; // into iov[0]
	u8 *kbuf;         // user == false
	usize count;      // bytes left
};
void iov_iter_kernel(iov_iter *i, bool dest, void *buf, usize len);
void iov_iter_user(iov_iter *i, bool dest, const iovec_user *iov, unsigned long nr_segs, usize count);
inline usize iov_iter_count(const iov_iter *i) { return i->count; }
// Both return the bytes copied (less than n at a fault or when the iterator is exhausted).
usize copy_to_iter(const void *src, usize n, iov_iter *i);
usize copy_from_iter(void *dst, usize n, iov_iter *i);
// Copies from/to a page (through the linear map).
usize copy_page_to_iter(page *p, usize offset, usize n, iov_iter *i);
usize copy_page_from_iter(page *p, usize offset, usize n, iov_iter *i);
// Truncates the iterator to at most n bytes (restore with iov_iter_reexpand).
void iov_iter_truncate(iov_iter *i, usize n);

// --- operations ---------------------------------------------------------------------------------------
// getdents64's iterator (Linux's dir_context): actor returns false when the buffer is full.
struct dir_context {
	bool (*actor)(dir_context *ctx, const char *name, int namelen, loff_t offset, u64 ino, unsigned type);
	loff_t pos;
};
// d_type values (DT_*).
inline constexpr unsigned DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8,
			  DT_LNK = 10, DT_SOCK = 12;
constexpr unsigned fs_umode_to_dtype(umode_t m) { return (m & S_IFMT) >> 12; }

struct file_operations {
	// -errno as the syscall returns it (or the new position).
	loff_t (*llseek)(file *f, loff_t off, int whence);
	// Bytes moved or -errno; *pos is advanced by what moved (f_pos or pread's offset).
	long (*read_iter)(file *f, iov_iter *to, loff_t *pos);
	long (*write_iter)(file *f, iov_iter *from, loff_t *pos);
	int (*iterate_shared)(file *f, dir_context *ctx);
	// Adds the caller to the file's wait queues through poll_wait() and returns the ready mask.
	__poll_t (*poll)(file *f, poll_table_struct *pt);
	long (*unlocked_ioctl)(file *f, unsigned cmd, unsigned long arg);
	int (*mmap)(file *f, vm_area_struct *vma);
	int (*open)(inode *ino, file *f);
	// The last fput of the file (close of the last descriptor).
	void (*release)(inode *ino, file *f);
	int (*fsync)(file *f, loff_t start, loff_t end, int datasync);
};

struct iattr {
	unsigned ia_valid; // ATTR_* below
	umode_t ia_mode;
	u32 ia_uid, ia_gid;
	loff_t ia_size;
	timespec64 ia_atime, ia_mtime;
};
inline constexpr unsigned ATTR_MODE = 1, ATTR_UID = 2, ATTR_GID = 4, ATTR_SIZE = 8, ATTR_ATIME = 16,
			  ATTR_MTIME = 32, ATTR_CTIME = 64;

struct inode_operations {
	// Finds `name` in dir: the inode (with a reference) or nullptr when absent; -errno as Error.
	ErrorOr<inode *> (*lookup)(inode *dir, dentry *d);
	Result (*create)(inode *dir, dentry *d, umode_t mode);
	Result (*link)(dentry *old, inode *dir, dentry *d);
	Result (*unlink)(inode *dir, dentry *d);
	Result (*symlink)(inode *dir, dentry *d, const char *target);
	Result (*mkdir)(inode *dir, dentry *d, umode_t mode);
	Result (*rmdir)(inode *dir, dentry *d);
	Result (*mknod)(inode *dir, dentry *d, umode_t mode, dev_t rdev);
	Result (*rename)(inode *old_dir, dentry *old, inode *new_dir, dentry *nw, unsigned flags);
	Result (*setattr)(dentry *d, const iattr *a);
	// A symlink's target (valid while the inode lives), or nullptr for generated links whose
	// text is written into buf (/proc/self, /proc/<pid>/exe): get_link_buf then.
	const char *(*get_link)(dentry *d, char *buf, usize size);
};

struct super_operations {
	// The inode's last reference went with i_nlink == 0 or a pseudo inode: free fs data.
	void (*evict_inode)(inode *ino);
	// statfs: f_type magic etc. (optional).
	u64 magic;
};

struct dentry_operations {
	// At the last dput: true frees the dentry at once (never cached).
	bool (*d_delete)(const dentry *d);
	void (*d_release)(dentry *d);
};

// --- page cache -------------------------------------------------------------------------------------
struct address_space_operations {
	// Fills a new page-cache page for index (zero for tmpfs: no backing store yet).
	int (*read_folio)(file *f, page *p);
	// A page became dirty through a shared mapping or a write (bookkeeping only on tmpfs).
	bool (*dirty_folio)(address_space *mapping, page *p);
};

// One per inode (inode::i_data): its cached pages indexed by file offset in pages. The tree
// is mm/filemap.cpp's (an xarray); pages in it have page->mapping == this and page->index ==
// their offset, hold one reference for the cache, and are counted in NR_FILE_PAGES (and
// NR_SHMEM for tmpfs).
struct address_space {
	inode *host;
	xarray i_pages;         // page-cache pages by index (i_pages_lock)
	unsigned long nrpages;  // pages in the cache
	const address_space_operations *a_ops;
	unsigned long flags;    // AS_* (below)
	list_head i_mmap;       // VMAs mapping this file (rmap for file pages), under i_mmap_lock
	SpinLock i_pages_lock;
	rw_semaphore i_mmap_rwsem;
};
inline constexpr unsigned long AS_SHMEM = 1ul << 0; // pages are swap-backed (tmpfs, shm)
inline constexpr unsigned long AS_UNEVICTABLE = 1ul << 1; // ramfs-like: pages never reclaimed

// --- objects -----------------------------------------------------------------------------------------
struct inode {
	umode_t i_mode;
	u32 i_uid, i_gid;
	unsigned i_nlink;
	dev_t i_rdev;
	loff_t i_size;
	u64 i_ino;
	u64 i_blocks; // 512-byte units
	timespec64 i_atime, i_mtime, i_ctime;
	int i_count; // atomic
	super_block *i_sb;
	const inode_operations *i_op;
	const file_operations *i_fop;
	address_space i_data;
	address_space *i_mapping; // &i_data
	rw_semaphore i_rwsem;
	pipe_inode_info *i_pipe; // FIFOs and pipes
	char *i_link;            // a tmpfs symlink's target (kmalloc'd, freed at eviction)
	void *i_private;         // the file system's
	list_head i_sb_list;     // in i_sb->s_inodes
};

struct qstr {
	const char *name;
	u32 len;
};

inline constexpr unsigned DNAME_INLINE_LEN = 40;
struct dentry {
	int d_count; // atomic
	unsigned d_flags;
	dentry *d_parent; // itself for a root
	inode *d_inode;   // nullptr: negative
	qstr d_name;      // points at d_iname or a kmalloc'd copy
	super_block *d_sb;
	const dentry_operations *d_op;
	list_head d_child;   // in d_parent->d_subdirs (dcache_lock)
	list_head d_subdirs; // children (dcache_lock)
	void *d_fsdata;
	// Position among its siblings for readdir: sequence numbers from the parent's counter,
	// increasing in list order, so a directory read survives entries removed meanwhile.
	unsigned long d_index;
	unsigned long d_next_index; // for children (a directory's)
	char d_iname[DNAME_INLINE_LEN];
};
inline constexpr unsigned DCACHE_MOUNTED = 0x10000;   // a mount is on this dentry
inline constexpr unsigned DCACHE_PERSISTENT = 0x1;    // held by the fs (tmpfs entries)
inline constexpr unsigned DCACHE_UNHASHED = 0x2;      // unlinked: no longer found by lookup

struct file_system_type;
struct super_block {
	file_system_type *s_type;
	dev_t s_dev;
	u64 s_magic;
	dentry *s_root;
	const super_operations *s_op;
	u64 s_next_ino;
	list_head s_inodes; // under s_inode_lock
	SpinLock s_inode_lock;
	void *s_fs_info;
	int s_active; // mounts of this super block
};

struct file_system_type {
	const char *name;
	// Builds a super block (and its root) for a new mount; data is mount(2)'s.
	ErrorOr<super_block *> (*mount)(file_system_type *t, unsigned long flags, const char *data);
	void (*kill_sb)(super_block *sb);
	unsigned fs_flags; // FS_REQUIRES_DEV: listed as "nodev" in /proc/filesystems when clear
	file_system_type *next;
};
inline constexpr unsigned FS_REQUIRES_DEV = 1;
[[nodiscard]] Result register_filesystem(file_system_type *t);
// The registered types in registration order (for /proc/filesystems).
file_system_type *filesystems_list();

struct vfsmount {
	dentry *mnt_root;
	super_block *mnt_sb;
	vfsmount *mnt_parent;     // itself for the root mount
	dentry *mnt_mountpoint;   // in mnt_parent
	int mnt_count;            // atomic: references from paths, files and the mount tree
	unsigned mnt_flags;
	const char *mnt_devname;  // mount(2)'s source, for /proc/mounts
	list_head mnt_list;       // in the global mount list, in mount order
};

struct path {
	vfsmount *mnt;
	dentry *dentry;
};
void path_get(const path *p);
void path_put(const path *p);

struct file {
	int f_count; // atomic
	unsigned f_flags; // O_* from open, O_APPEND/O_NONBLOCK changeable by F_SETFL
	unsigned f_mode;  // FMODE_*
	loff_t f_pos;
	path f_path;
	inode *f_inode;
	const file_operations *f_op;
	address_space *f_mapping;
	void *private_data;
	rw_semaphore f_pos_lock; // FMODE_ATOMIC_POS: read/write/lseek on a shared file
	// Linux's f_version, for FIFOs: a reader opened before any writer sees no EPOLLHUP until
	// a writer came (fs/pipe.cpp).
	u64 f_version;
};

// --- references ----------------------------------------------------------------------------------
inode *igrab(inode *ino);
void iput(inode *ino);
dentry *dget(dentry *d);
void dput(dentry *d);
file *get_file(file *f);
void fput(file *f);
void mntget(vfsmount *m);
void mntput(vfsmount *m);

// --- inodes and dentries for file systems ---------------------------------------------------------
// A new inode on sb (i_count 1, i_nlink 1, i_ino from s_next_ino, times now); ENOMEM.
ErrorOr<inode *> new_inode(super_block *sb);
// The inode of a character/block device or FIFO: i_fop is the device's open dispatcher.
void init_special_inode(inode *ino, umode_t mode, dev_t rdev);
// A dentry for name under parent (negative, d_count 1); ENOMEM, ENAMETOOLONG.
ErrorOr<dentry *> d_alloc(dentry *parent, const qstr &name);
// A root dentry for ino (consumes the inode reference); ENOMEM.
ErrorOr<dentry *> d_make_root(inode *ino);
// Makes d positive with ino (consumes the reference).
void d_instantiate(dentry *d, inode *ino);
// The child of parent named name, with a reference, or nullptr.
dentry *d_lookup(dentry *parent, const qstr &name);
// Takes d out of lookups (unlink, rmdir, rename's victim); it lives on while referenced.
void d_delete(dentry *d);
// Extra reference kept by the fs for a tmpfs entry (Linux's dget in simple_mknod...); undone
// by d_delete's caller through d_drop_persistent.
void d_make_persistent(dentry *d);
void d_drop_persistent(dentry *d);
// Moves d to new_parent/new_name (rename).
[[nodiscard]] Result d_move(dentry *d, dentry *new_parent, const qstr &new_name);
// Runs fn for each positive child (dcache_readdir); fn returns false to stop.
void d_for_each_child(dentry *parent, bool (*fn)(void *ctx, dentry *child), void *ctx);

// --- opening and the file table --------------------------------------------------------------------
// A new file for an opened path (takes its own references), calling f_op->open; ENOMEM, or
// open's error.
ErrorOr<file *> dentry_open(const path *p, unsigned flags);
// A file on a pseudo inode not in any directory (pipes, anon inodes): consumes the inode
// reference. name is what /proc/<pid>/fd shows ("pipe:[ino]" is built by the caller).
ErrorOr<file *> alloc_file_pseudo(inode *ino, const char *name, unsigned flags, const file_operations *fops);
// The kernel's open: path relative to the caller's cwd (or absolute); follows symlinks.
ErrorOr<file *> filp_open(const char *path, unsigned flags, umode_t mode);
void filp_close(file *f);
// Reads/writes at *pos through f_op (kernel buffers); bytes or -errno.
long kernel_read(file *f, void *buf, usize count, loff_t *pos);
long kernel_write(file *f, const void *buf, usize count, loff_t *pos);
// The readiness of f (f_op->poll, or DEFAULT_POLLMASK without one).
__poll_t vfs_poll(file *f, poll_table_struct *pt);

// Per-process descriptor table (Linux's files_struct), shared by CLONE_FILES tasks.
struct files_struct;
// fd of the caller's table, with a reference (fput when done), or nullptr (EBADF).
file *fget(unsigned fd);
// The lowest free descriptor >= start below RLIMIT_NOFILE, reserved; EMFILE.
ErrorOr<int> get_unused_fd_flags(unsigned flags, unsigned start = 0);
void put_unused_fd(int fd);
// Installs f (consumes the reference) into a reserved descriptor.
void fd_install(int fd, file *f);
// fork: a copy of the caller's table (CLONE_FILES: the same, with a reference).
ErrorOr<files_struct *> dup_fd(files_struct *old);
files_struct *get_files_struct(files_struct *f);
void put_files_struct(files_struct *f);
// exec: closes the close-on-exec descriptors.
void do_close_on_exec(files_struct *f);
// The fd's close-on-exec flag.
void set_close_on_exec(unsigned fd, bool on);

// --- character devices ------------------------------------------------------------------------------
// Registers fops for [MKDEV(major, baseminor), +count): opening such a device inode switches
// f_op to them and calls their open. EBUSY when taken.
[[nodiscard]] Result register_chrdev_region(u32 major, u32 baseminor, u32 count, const char *name,
					    const file_operations *fops);

// --- polling ------------------------------------------------------------------------------------------
// Linux's poll_table: a file's poll adds the caller to each queue it would be woken on.
struct poll_table_struct {
	void (*qproc)(file *f, wait_queue_head *wq, poll_table_struct *pt);
	__poll_t key; // the events the caller wants
};
inline void poll_wait(file *f, wait_queue_head *wq, poll_table_struct *pt)
{
	if (pt && pt->qproc && wq)
		pt->qproc(f, wq, pt);
}

// --- stat -----------------------------------------------------------------------------------------------
struct kstat {
	u64 ino;
	dev_t dev;
	umode_t mode;
	unsigned nlink;
	u32 uid, gid;
	dev_t rdev;
	loff_t size;
	timespec64 atime, mtime, ctime;
	u32 blksize;
	u64 blocks;
};
void generic_fillattr(inode *ino, kstat *st);

// --- helpers for simple file systems (Linux's libfs) ------------------------------------------------
// dcache_readdir lists the positive children of a directory whose entries live only in the
// dcache; simple_dir_operations is the directory file of such a file system.
int dcache_readdir(file *f, dir_context *ctx);
loff_t generic_file_llseek(file *f, loff_t off, int whence);
loff_t default_llseek(file *f, loff_t off, int whence);
extern const file_operations simple_dir_operations;
// A mount of t not attached to the tree (internal: the shm mount); ENOMEM or mount's error.
ErrorOr<vfsmount *> kern_mount(file_system_type *t);

// --- boot -----------------------------------------------------------------------------------------------
// Creates the caches, registers tmpfs, mounts the root (rootfs is a tmpfs) and unpacks the
// initramfs into it; ENOMEM or a malformed archive (reported, the root stays usable).
[[nodiscard]] Result vfs_init();
// Registers the character devices (drivers/char/chr_dev.h: mem's 1:*, 5:0 /dev/tty, 5:1
// /dev/console) before vfs_init creates their /dev nodes (drivers/char/mem.cpp).
void console_chrdev_init();
// The task's files at its start as a user process launched by the kernel (init and the
// console's `run`): a copy of the kernel's root/cwd and a table with /dev/console as fds 0, 1
// and 2 (Linux's console_on_rootfs). ENOMEM; without a console the table stays empty, with
// Linux's warning.
[[nodiscard]] Result init_task_files(task_struct *t);
// exit (Linux's exit_files/exit_fs) and fork (copy_files/copy_fs with CLONE_FILES/CLONE_FS).
void exit_files(task_struct *t);
[[nodiscard]] Result copy_files(unsigned long clone_flags, task_struct *parent, task_struct *child);
// execve: unshares a table shared with another process, then closes close-on-exec descriptors.
[[nodiscard]] Result exec_unshare_files(task_struct *t);
void exec_close_files(task_struct *t);
