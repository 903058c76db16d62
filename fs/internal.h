// Declarations shared inside fs/ (Linux's fs/internal.h, fdtable.h, fs_struct.h, namei.h).
#pragma once

#include "fs/fs.h"

// --- per-task file-system context ------------------------------------------------------------
// Linux's fs_struct: root, working directory and umask, shared by CLONE_FS tasks.
struct fs_struct {
	int users; // atomic
	SpinLock lock;
	path root TA_GUARDED(lock);
	path pwd TA_GUARDED(lock);
	umode_t umask; // atomic
};
ErrorOr<fs_struct *> copy_fs_struct(fs_struct *old);
void put_fs_struct(fs_struct *fs);
// The caller's root and cwd with references (path_put when done).
void get_fs_root(fs_struct *fs, path *root);
void get_fs_pwd(fs_struct *fs, path *pwd);
void set_fs_pwd(fs_struct *fs, const path *p);
void set_fs_root(fs_struct *fs, const path *p);

// Linux's files_struct with one fixed-size-then-growing array of slots.
struct files_struct {
	int count; // atomic: tasks sharing it (CLONE_FILES)
	SpinLock lock;
	unsigned max_fds TA_GUARDED(lock);   // slots allocated
	file **fd TA_GUARDED(lock);          // max_fds entries
	unsigned long *close_on_exec TA_GUARDED(lock); // bitmaps of max_fds bits
	unsigned long *open_fds TA_GUARDED(lock);      // reserved or installed
	unsigned next_fd TA_GUARDED(lock);   // lowest possibly free slot
};
// An empty table; ENOMEM.
ErrorOr<files_struct *> alloc_files_struct();
// Closes fd (Linux's close_fd): EBADF.
[[nodiscard]] Result close_fd(unsigned fd);
// Replaces newfd with f (dup2/dup3 semantics; consumes f's reference): newfd or -errno.
long replace_fd(unsigned newfd, file *f, unsigned flags);
bool get_close_on_exec(unsigned fd);
// The caller's RLIMIT_NOFILE soft limit.
unsigned long rlimit_nofile();
// Installs f at the lowest free fd >= 0 (consumes f on success; on error f is the caller's).
ErrorOr<int> install_new_fd(file *f, unsigned flags);

// --- path walk ------------------------------------------------------------------------------------
inline constexpr unsigned LOOKUP_FOLLOW = 0x1;    // follow a final symlink
inline constexpr unsigned LOOKUP_DIRECTORY = 0x2; // the result must be a directory
inline constexpr unsigned LOOKUP_PARENT = 0x10;   // stop at the parent of the last component
inline constexpr unsigned LOOKUP_EMPTY = 0x4000;  // "" names the start directory (AT_EMPTY_PATH)
inline constexpr int MAXSYMLINKS = 40;

// Resolves name relative to start (AT_FDCWD's cwd, or a directory) under root. ENOENT, ENOTDIR,
// ELOOP, ENAMETOOLONG. The result holds references (path_put).
ErrorOr<path> vfs_path_lookup(const path &root, const path &start, const char *name, unsigned flags);
// The parent of the last component of name and that component (its qstr points into name,
// which must outlive the use). last_type tells "." / ".." / a normal name apart.
enum class LastType { NORM, ROOT, DOT, DOTDOT };
struct parent_result {
	path parent;
	qstr last; // points at last_name
	LastType type;
	bool trailing_slash;
	char last_name[NAME_MAX + 1];
};
[[nodiscard]] Result vfs_path_parent(const path &root, const path &start, const char *name, parent_result *out);
// lookup of one name in a directory (dcache first, then ->lookup): a dentry with a reference,
// negative when absent. The caller holds dir's i_rwsem.
ErrorOr<dentry *> lookup_one(dentry *dir, const qstr &name);

// The mount on top of (mnt, d), or nullptr (Linux's lookup_mnt).
vfsmount *lookup_mnt(vfsmount *mnt, dentry *d);
// The root mount (with a reference).
vfsmount *root_mount();
// Mounts fstype at mountpoint. EBUSY, ENODEV, ENOMEM, ENOTDIR.
[[nodiscard]] Result do_mount(const path &mountpoint, const char *fstype, const char *source, unsigned long flags,
			      const char *data);
[[nodiscard]] Result do_umount(const path &p, int flags);
// Calls fn for each mount in mount order (for /proc/mounts); fn gets the mount and its path
// relative to the root of the caller's namespace written into buf.
void for_each_mount(void (*fn)(void *ctx, vfsmount *m), void *ctx);
// The absolute path of p below root into buf (Linux's d_path): the start of the string in buf,
// or ENAMETOOLONG. Unlinked entries end in " (deleted)".
ErrorOr<char *> d_path(const path &p, const path &root, char *buf, usize size);

// open(2) below root from start (fs/open.cpp's do_filp_open).
ErrorOr<file *> vfs_open_at(const path &root, const path &start, const char *name, unsigned flags, umode_t mode);

// --- operations on names --------------------------------------------------------------------------
[[nodiscard]] Result vfs_mkdir(inode *dir, dentry *d, umode_t mode);
[[nodiscard]] Result vfs_create(inode *dir, dentry *d, umode_t mode);
[[nodiscard]] Result vfs_mknod(inode *dir, dentry *d, umode_t mode, dev_t dev);
[[nodiscard]] Result vfs_symlink(inode *dir, dentry *d, const char *target);
ErrorOr<loff_t> vfs_llseek(file *f, loff_t off, int whence);
[[nodiscard]] Result do_truncate(dentry *d, loff_t length);
// The file-system-level helpers of simple directories (Linux's libfs): dcache_readdir lists
// the positive children of a directory whose entries live only in the dcache.
extern SpinLock dcache_lock;
// Called by iput when the count reaches zero and the inode is to be freed.
void destroy_inode(inode *ino);
// Global count of live objects (ledgers in tests).
struct vfs_counts {
	long inodes, dentries, files, mounts;
};
vfs_counts vfs_object_counts();
long vfs_inode_count();
long vfs_dentry_count();
long vfs_mount_count();
// Host tests: forget the object caches (after the slab allocator itself was reset).
void inode_reset_for_test();
void dcache_reset_for_test();

#include "mm/filemap.h" // tmpfs (mm/shmem.cpp)
// Unpacks a newc cpio into the root (Linux's unpack_to_rootfs).
[[nodiscard]] Result unpack_initramfs(const u8 *buf, usize len);
// The kernel's fs context for kernel-started user tasks (init's): root and cwd at "/".
fs_struct *init_fs();
// The root of the mount tree; mounts a new file system not attached anywhere (kern_mount).
[[nodiscard]] Result mount_root(const char *fstype);
