// Mounts and file-system types (Linux's fs/namespace.c, fs/filesystems.c, fs/super.c, reduced
// to one mount namespace): the mount tree, mount(2)/umount2(2) for tmpfs and proc.
#include "core/panic.h"
#include "core/printk.h"
#include "fs/internal.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "mm/slab.h"

namespace {
SpinLock fs_types_lock;
file_system_type *fs_types TA_GUARDED(fs_types_lock);

// The mount tree: every mount in mount order, and each mount's parent and mountpoint. Changed
// with namespace_sem held for writing; path walks (lookup_mnt), d_path and /proc/mounts hold
// it for reading (Linux's namespace_sem with mount_lock's seqlock for readers, reduced).
rw_semaphore namespace_sem;
list_head mounts TA_GUARDED(namespace_sem) = LIST_HEAD_INIT(mounts);
vfsmount *root_mnt;
long nr_mounts;
} // namespace

long vfs_mount_count() { return __atomic_load_n(&nr_mounts, __ATOMIC_RELAXED); }

Result register_filesystem(file_system_type *t)
{
	SpinLockGuard g(fs_types_lock);
	file_system_type **p = &fs_types;
	for (; *p; p = &(*p)->next)
		if (strcmp((*p)->name, t->name) == 0)
			return Errno::EBUSY;
	t->next = nullptr;
	*p = t;
	return Result{};
}

file_system_type *filesystems_list()
{
	SpinLockGuard g(fs_types_lock);
	return fs_types;
}

static file_system_type *get_fs_type(const char *name)
{
	SpinLockGuard g(fs_types_lock);
	for (file_system_type *t = fs_types; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return nullptr;
}

void path_get(const path *p)
{
	mntget(p->mnt);
	dget(p->dentry);
}
void path_put(const path *p)
{
	dput(p->dentry);
	mntput(p->mnt);
}
void mntget(vfsmount *m)
{
	if (m)
		__atomic_add_fetch(&m->mnt_count, 1, __ATOMIC_RELAXED);
}
void mntput(vfsmount *m)
{
	if (!m)
		return;
	int c = __atomic_sub_fetch(&m->mnt_count, 1, __ATOMIC_ACQ_REL);
	BUG_ON(c < 0);
	// A mount in the tree holds one reference of its own (dropped by umount), so reaching 0
	// means it was detached and nothing uses it any more.
	if (c == 0) {
		super_block *sb = m->mnt_sb;
		dentry *root = m->mnt_root;
		kfree(const_cast<char *>(m->mnt_devname));
		kfree(m);
		__atomic_sub_fetch(&nr_mounts, 1, __ATOMIC_RELAXED);
		dput(root);
		if (--sb->s_active == 0 && sb->s_type->kill_sb)
			sb->s_type->kill_sb(sb);
	}
}

vfsmount *lookup_mnt(vfsmount *mnt, dentry *d)
{
	if (!(__atomic_load_n(&d->d_flags, __ATOMIC_ACQUIRE) & DCACHE_MOUNTED))
		return nullptr;
	ReadGuard g(namespace_sem);
	vfsmount *found = nullptr;
	// The last mount on the spot is the visible one (mounts stack).
	for (list_head *pos = mounts.next; pos != &mounts; pos = pos->next) {
		vfsmount *m = container_of(pos, vfsmount, mnt_list);
		if (m->mnt_parent == mnt && m->mnt_mountpoint == d && m != mnt)
			found = m;
	}
	if (found)
		mntget(found);
	return found;
}

vfsmount *root_mount()
{
	mntget(root_mnt);
	return root_mnt;
}

static ErrorOr<vfsmount *> vfs_kern_mount(file_system_type *t, unsigned long flags, const char *source,
					  const char *data)
{
	auto *m = static_cast<vfsmount *>(kzalloc(sizeof(vfsmount), GFP_KERNEL));
	if (!m)
		return Errno::ENOMEM;
	usize n = strlen(source) + 1;
	char *dev = static_cast<char *>(kmalloc(n, GFP_KERNEL));
	if (!dev) {
		kfree(m);
		return Errno::ENOMEM;
	}
	memcpy(dev, source, n);
	auto sb = t->mount(t, flags, data);
	if (sb.is_error()) {
		kfree(dev);
		kfree(m);
		return sb.error();
	}
	sb.value()->s_active++;
	m->mnt_sb = sb.value();
	m->mnt_root = dget(sb.value()->s_root);
	m->mnt_count = 1; // the tree's (or the caller's for an internal mount)
	m->mnt_devname = dev;
	m->mnt_parent = m;
	INIT_LIST_HEAD(&m->mnt_list);
	__atomic_add_fetch(&nr_mounts, 1, __ATOMIC_RELAXED);
	return m;
}

ErrorOr<vfsmount *> kern_mount(file_system_type *t) { return vfs_kern_mount(t, 0, t->name, nullptr); }

Result mount_root(const char *fstype)
{
	file_system_type *t = get_fs_type(fstype);
	if (!t)
		return Errno::ENODEV;
	vfsmount *m = TRY(vfs_kern_mount(t, 0, "rootfs", nullptr));
	m->mnt_mountpoint = m->mnt_root;
	{
		WriteGuard g(namespace_sem);
		list_add_tail(&m->mnt_list, &mounts);
	}
	root_mnt = m;
	return Result{};
}

Result do_mount(const path &mp, const char *fstype, const char *source, unsigned long flags, const char *data)
{
	if (!S_ISDIR(mp.dentry->d_inode->i_mode))
		return Errno::ENOTDIR;
	file_system_type *t = get_fs_type(fstype);
	if (!t)
		return Errno::ENODEV;
	WriteGuard g(namespace_sem);
	if (mp.dentry->d_flags & DCACHE_UNHASHED)
		return Errno::ENOENT;
	vfsmount *m = TRY(vfs_kern_mount(t, flags, source, data));
	m->mnt_parent = mp.mnt;
	mntget(mp.mnt);
	m->mnt_mountpoint = dget(mp.dentry);
	__atomic_fetch_or(&mp.dentry->d_flags, DCACHE_MOUNTED, __ATOMIC_RELEASE);
	list_add_tail(&m->mnt_list, &mounts);
	return Result{};
}

Result do_umount(const path &p, int flags)
{
	(void)flags;
	WriteGuard g(namespace_sem);
	vfsmount *m = p.mnt;
	if (p.dentry != m->mnt_root)
		return Errno::EINVAL;
	if (m == root_mnt)
		return Errno::EBUSY;
	{
		// Busy: the tree's reference and the caller's path are all there may be, and nothing
		// may be mounted below it.
		for (list_head *pos = mounts.next; pos != &mounts; pos = pos->next)
			if (container_of(pos, vfsmount, mnt_list)->mnt_parent == m)
				return Errno::EBUSY;
		if (__atomic_load_n(&m->mnt_count, __ATOMIC_ACQUIRE) > 2)
			return Errno::EBUSY;
		list_del_init(&m->mnt_list);
		bool still = false;
		for (list_head *pos = mounts.next; pos != &mounts; pos = pos->next) {
			vfsmount *o = container_of(pos, vfsmount, mnt_list);
			if (o->mnt_parent == m->mnt_parent && o->mnt_mountpoint == m->mnt_mountpoint)
				still = true;
		}
		if (!still)
			__atomic_fetch_and(&m->mnt_mountpoint->d_flags, ~DCACHE_MOUNTED, __ATOMIC_RELEASE);
	}
	dentry *mp = m->mnt_mountpoint;
	vfsmount *parent = m->mnt_parent;
	m->mnt_mountpoint = m->mnt_root;
	m->mnt_parent = m;
	dput(mp);
	mntput(parent);
	mntput(m); // the tree's reference; the caller's path holds the last
	return Result{};
}

void for_each_mount(void (*fn)(void *ctx, vfsmount *m), void *ctx)
{
	// Readers of /proc/mounts copy what they print into a buffer in fn; mounts cannot change
	// meanwhile (namespace_sem).
	ReadGuard g(namespace_sem);
	for (list_head *pos = mounts.next; pos != &mounts; pos = pos->next)
		fn(ctx, container_of(pos, vfsmount, mnt_list));
}

ErrorOr<char *> d_path(const path &p, const path &root, char *buf, usize size)
{
	// Built from the end of buf backwards, as Linux's prepend_path.
	if (size < 2)
		return Errno::ENAMETOOLONG;
	char *end = buf + size;
	*--end = '\0';
	char *s = end;
	bool deleted = false;
	ReadGuard gm(namespace_sem);
	SpinLockGuard g(dcache_lock);
	vfsmount *mnt = p.mnt;
	dentry *d = p.dentry;
	if (d->d_flags & DCACHE_UNHASHED)
		deleted = true;
	while (!(d == root.dentry && mnt == root.mnt)) {
		if (d == mnt->mnt_root) {
			if (mnt->mnt_parent == mnt)
				break; // the global root (root outside: print from it)
			d = mnt->mnt_mountpoint;
			mnt = mnt->mnt_parent;
			continue;
		}
		u32 len = d->d_name.len;
		if (static_cast<usize>(s - buf) < len + 1)
			return Errno::ENAMETOOLONG;
		s -= len;
		memcpy(s, d->d_name.name, len);
		*--s = '/';
		// A dentry that is its own parent outside any mount's root is a disconnected one (an
		// internal shmem file): its name is all of its path, as Linux's d_dname for them.
		if (d->d_parent == d)
			break;
		d = d->d_parent;
	}
	if (s == end) {
		if (s == buf)
			return Errno::ENAMETOOLONG;
		*--s = '/';
	}
	if (deleted) {
		static const char del[] = " (deleted)";
		usize used = static_cast<usize>(end - s);
		if (used + sizeof(del) > size)
			return Errno::ENAMETOOLONG;
		memmove(buf, s, used);
		memcpy(buf + used, del, sizeof(del));
		return buf;
	}
	return s;
}
