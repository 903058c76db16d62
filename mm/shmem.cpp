// tmpfs (Linux's mm/shmem.c, reduced): a file system whose files live only in the page cache
// and whose directories live only in the dcache (each entry held by DCACHE_PERSISTENT until
// it is unlinked). The root file system is one (rootfs), and so is the kernel's internal
// shm mount behind MAP_SHARED anonymous memory.
//
// Pages are swap-backed (AS_SHMEM: NR_SHMEM, PG_swapbacked), so the reclaim issue can swap
// them; until then they stay. Size: Linux's default, half of RAM in pages, and as many inodes;
// ENOSPC beyond it.
#include <asm/page.h>

#include "core/panic.h"
#include "fs/fs.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "mm/filemap.h"
#include "mm/page_alloc.h"
#include "mm/page-flags.h"
#include "mm/slab.h"

namespace {
constexpr u64 TMPFS_MAGIC = 0x01021994;

struct shmem_sb_info {
	long max_blocks; // pages
	long used_blocks; // atomic
	long max_inodes;
	long free_inodes; // atomic
};

shmem_sb_info *SHMEM_SB(super_block *sb) { return static_cast<shmem_sb_info *>(sb->s_fs_info); }

extern const inode_operations shmem_dir_inode_operations;
extern const inode_operations shmem_inode_operations;
extern const inode_operations shmem_symlink_inode_operations;
extern const file_operations shmem_file_operations;
extern const super_operations shmem_ops;

vfsmount *shm_mnt;

// Pages removed from ino's cache since before (truncate) go back to the size limit.
void account_freed(inode *ino, unsigned long before)
{
	unsigned long freed = before - ino->i_data.nrpages;
	__atomic_sub_fetch(&SHMEM_SB(ino->i_sb)->used_blocks, static_cast<long>(freed), __ATOMIC_RELAXED);
	ino->i_blocks -= freed * (PAGE_SIZE / 512);
}

void shmem_evict_inode(inode *ino)
{
	// destroy_inode already emptied the cache; give the inode and its blocks back.
	shmem_sb_info *sbi = SHMEM_SB(ino->i_sb);
	__atomic_sub_fetch(&sbi->used_blocks, static_cast<long>(ino->i_blocks / (PAGE_SIZE / 512)), __ATOMIC_RELAXED);
	__atomic_add_fetch(&sbi->free_inodes, 1, __ATOMIC_RELAXED);
}

ErrorOr<inode *> shmem_get_inode(super_block *sb, inode *dir, umode_t mode, dev_t dev)
{
	shmem_sb_info *sbi = SHMEM_SB(sb);
	if (__atomic_sub_fetch(&sbi->free_inodes, 1, __ATOMIC_RELAXED) < 0) {
		__atomic_add_fetch(&sbi->free_inodes, 1, __ATOMIC_RELAXED);
		return Errno::ENOSPC;
	}
	auto r = new_inode(sb);
	if (r.is_error()) {
		__atomic_add_fetch(&sbi->free_inodes, 1, __ATOMIC_RELAXED);
		return r.error();
	}
	inode *ino = r.value();
	ino->i_mode = mode;
	ino->i_data.flags |= AS_SHMEM;
	// setgid directories pass their group on (Linux's inode_init_owner).
	if (dir && (dir->i_mode & S_ISGID)) {
		ino->i_gid = dir->i_gid;
		if (S_ISDIR(mode))
			ino->i_mode |= S_ISGID;
	}
	switch (mode & S_IFMT) {
	case S_IFREG:
		ino->i_op = &shmem_inode_operations;
		ino->i_fop = &shmem_file_operations;
		break;
	case S_IFDIR:
		ino->i_nlink = 2;
		ino->i_size = 2 * 20; // Linux's BOGO_DIRENT_SIZE per entry, "." and ".."
		ino->i_op = &shmem_dir_inode_operations;
		ino->i_fop = &simple_dir_operations;
		break;
	case S_IFLNK:
		ino->i_op = &shmem_symlink_inode_operations;
		break;
	default:
		init_special_inode(ino, mode, dev);
		break;
	}
	return ino;
}

constexpr loff_t BOGO_DIRENT_SIZE = 20;

void dir_changed(inode *dir, loff_t delta)
{
	dir->i_size += delta;
	dir->i_mtime = dir->i_ctime = current_time();
}

// Makes d a new entry for ino in dir (the fs keeps a reference: DCACHE_PERSISTENT).
void add_entry(inode *dir, dentry *d, inode *ino)
{
	d_instantiate(d, ino);
	d_make_persistent(d);
	dir_changed(dir, BOGO_DIRENT_SIZE);
}

Result shmem_mknod(inode *dir, dentry *d, umode_t mode, dev_t dev)
{
	inode *ino = TRY(shmem_get_inode(dir->i_sb, dir, mode, dev));
	add_entry(dir, d, ino);
	if (S_ISDIR(mode))
		dir->i_nlink++;
	return Result{};
}

Result shmem_create(inode *dir, dentry *d, umode_t mode) { return shmem_mknod(dir, d, mode | S_IFREG, 0); }
Result shmem_mkdir(inode *dir, dentry *d, umode_t mode) { return shmem_mknod(dir, d, mode | S_IFDIR, 0); }

Result shmem_symlink(inode *dir, dentry *d, const char *target)
{
	usize len = strnlen(target, PATH_MAX);
	if (len >= static_cast<usize>(PATH_MAX))
		return Errno::ENAMETOOLONG;
	inode *ino = TRY(shmem_get_inode(dir->i_sb, dir, S_IFLNK | 0777, 0));
	char *copy = static_cast<char *>(kmalloc(len + 1, GFP_KERNEL));
	if (!copy) {
		ino->i_nlink = 0;
		iput(ino);
		return Errno::ENOMEM;
	}
	memcpy(copy, target, len + 1);
	ino->i_link = copy;
	ino->i_size = static_cast<loff_t>(len);
	add_entry(dir, d, ino);
	return Result{};
}

Result shmem_link(dentry *old, inode *dir, dentry *d)
{
	inode *ino = old->d_inode;
	ino->i_nlink++;
	ino->i_ctime = current_time();
	add_entry(dir, d, igrab(ino));
	return Result{};
}

// Removes the entry d (its inode loses a link; the dentry goes once unreferenced).
void remove_entry(inode *dir, dentry *d)
{
	inode *ino = d->d_inode;
	ino->i_ctime = current_time();
	ino->i_nlink--;
	dir_changed(dir, -BOGO_DIRENT_SIZE);
	d_delete(d);
	d_drop_persistent(d);
}

Result shmem_unlink(inode *dir, dentry *d)
{
	remove_entry(dir, d);
	return Result{};
}

bool has_children(dentry *d)
{
	bool any = false;
	d_for_each_child(d, [](void *ctx, dentry *) {
		*static_cast<bool *>(ctx) = true;
		return false;
	}, &any);
	return any;
}

Result shmem_rmdir(inode *dir, dentry *d)
{
	if (has_children(d))
		return Errno::ENOTEMPTY;
	d->d_inode->i_nlink--; // its "."
	dir->i_nlink--;        // its ".."
	remove_entry(dir, d);
	return Result{};
}

Result shmem_rename(inode *old_dir, dentry *old, inode *new_dir, dentry *nw, unsigned)
{
	bool dir = S_ISDIR(old->d_inode->i_mode);
	if (nw->d_inode) {
		if (S_ISDIR(nw->d_inode->i_mode)) {
			if (has_children(nw))
				return Errno::ENOTEMPTY;
			nw->d_inode->i_nlink--;
			new_dir->i_nlink--;
		}
		remove_entry(new_dir, nw);
	}
	TRY(d_move(old, nw->d_parent, nw->d_name));
	if (dir && old_dir != new_dir) {
		old_dir->i_nlink--;
		new_dir->i_nlink++;
	}
	dir_changed(old_dir, -BOGO_DIRENT_SIZE);
	dir_changed(new_dir, BOGO_DIRENT_SIZE);
	old->d_inode->i_ctime = current_time();
	return Result{};
}

Result shmem_setattr(dentry *d, const iattr *a)
{
	inode *ino = d->d_inode;
	if (a->ia_valid & ATTR_SIZE) {
		if (!S_ISREG(ino->i_mode))
			return Errno::EINVAL;
		WriteGuard g(ino->i_rwsem);
		loff_t old = ino->i_size;
		ino->i_size = a->ia_size;
		if (a->ia_size < old) {
			unsigned long before = ino->i_data.nrpages;
			truncate_inode_pages(&ino->i_data, a->ia_size);
			account_freed(ino, before);
		}
		ino->i_mtime = ino->i_ctime = current_time();
	}
	if (a->ia_valid & ATTR_MODE)
		ino->i_mode = static_cast<umode_t>((ino->i_mode & S_IFMT) | (a->ia_mode & 07777));
	if (a->ia_valid & ATTR_UID)
		ino->i_uid = a->ia_uid;
	if (a->ia_valid & ATTR_GID)
		ino->i_gid = a->ia_gid;
	if (a->ia_valid & ATTR_ATIME)
		ino->i_atime = a->ia_atime;
	if (a->ia_valid & ATTR_MTIME)
		ino->i_mtime = a->ia_mtime;
	if (a->ia_valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_CTIME))
		ino->i_ctime = current_time();
	return Result{};
}

ErrorOr<inode *> shmem_lookup(inode *, dentry *) { return static_cast<inode *>(nullptr); }

long shmem_file_read_iter(file *f, iov_iter *to, loff_t *pos) { return filemap_read(f, to, pos); }

long shmem_file_write_iter(file *f, iov_iter *from, loff_t *pos)
{
	inode *ino = f->f_inode;
	WriteGuard g(ino->i_rwsem);
	if (f->f_flags & O_APPEND)
		*pos = ino->i_size;
	long r = generic_perform_write(f, from, pos);
	if (r > 0)
		ino->i_mtime = ino->i_ctime = current_time();
	return r;
}

int shmem_fsync(file *, loff_t, loff_t, int) { return 0; }

const inode_operations shmem_dir_inode_operations = {
	.lookup = shmem_lookup,
	.create = shmem_create,
	.link = shmem_link,
	.unlink = shmem_unlink,
	.symlink = shmem_symlink,
	.mkdir = shmem_mkdir,
	.rmdir = shmem_rmdir,
	.mknod = shmem_mknod,
	.rename = shmem_rename,
	.setattr = shmem_setattr,
	.get_link = nullptr,
};
const inode_operations shmem_inode_operations = {.setattr = shmem_setattr};
const inode_operations shmem_symlink_inode_operations = {.setattr = shmem_setattr};
const file_operations shmem_file_operations = {
	.llseek = generic_file_llseek,
	.read_iter = shmem_file_read_iter,
	.write_iter = shmem_file_write_iter,
	.fsync = shmem_fsync,
};
const super_operations shmem_ops = {.evict_inode = shmem_evict_inode, .magic = TMPFS_MAGIC};

ErrorOr<super_block *> shmem_mount(file_system_type *t, unsigned long, const char *)
{
	static int next_dev = 1; // anonymous devices 0:N as Linux's get_anon_bdev
	auto *sb = static_cast<super_block *>(kmalloc(sizeof(super_block), GFP_KERNEL));
	auto *sbi = static_cast<shmem_sb_info *>(kzalloc(sizeof(shmem_sb_info), GFP_KERNEL));
	if (!sb || !sbi) {
		kfree(sb);
		kfree(sbi);
		return Errno::ENOMEM;
	}
	new (sb) super_block{};
	INIT_LIST_HEAD(&sb->s_inodes);
	sb->s_type = t;
	sb->s_magic = TMPFS_MAGIC;
	sb->s_op = &shmem_ops;
	sb->s_dev = MKDEV(0, static_cast<u32>(__atomic_fetch_add(&next_dev, 1, __ATOMIC_RELAXED)));
	long half = static_cast<long>(totalram_pages() / 2);
	sbi->max_blocks = half;
	sbi->max_inodes = half;
	sbi->free_inodes = half;
	sb->s_fs_info = sbi;
	auto root = shmem_get_inode(sb, nullptr, S_IFDIR | 01777, 0);
	if (root.is_error()) {
		kfree(sbi);
		kfree(sb);
		return root.error();
	}
	auto d = d_make_root(root.value());
	if (d.is_error()) {
		kfree(sbi);
		kfree(sb);
		return d.error();
	}
	sb->s_root = d.value();
	return sb;
}

// Drops every entry below d (post-order), as Linux's kill_litter_super.
void drop_tree(dentry *d)
{
	for (;;) {
		dentry *child = nullptr;
		d_for_each_child(d, [](void *ctx, dentry *c) {
			*static_cast<dentry **>(ctx) = dget(c);
			return false;
		}, &child);
		if (!child)
			return;
		drop_tree(child);
		d_delete(child);
		d_drop_persistent(child);
		dput(child);
	}
}

void shmem_kill_sb(super_block *sb)
{
	drop_tree(sb->s_root);
	dput(sb->s_root);
	BUG_ON(!list_empty(&sb->s_inodes));
	kfree(sb->s_fs_info);
	sb->~super_block();
	kfree(sb);
}
} // namespace

file_system_type shmem_fs_type = {
	.name = "tmpfs",
	.mount = shmem_mount,
	.kill_sb = shmem_kill_sb,
	.fs_flags = 0,
	.next = nullptr,
};

void shmem_statfs(super_block *sb, u64 *blocks, u64 *bfree, u64 *files, u64 *ffree)
{
	shmem_sb_info *sbi = SHMEM_SB(sb);
	long used = __atomic_load_n(&sbi->used_blocks, __ATOMIC_RELAXED);
	*blocks = static_cast<u64>(sbi->max_blocks);
	*bfree = static_cast<u64>(sbi->max_blocks - used);
	*files = static_cast<u64>(sbi->max_inodes);
	*ffree = static_cast<u64>(__atomic_load_n(&sbi->free_inodes, __ATOMIC_RELAXED));
}

Result init_tmpfs()
{
	TRY(register_filesystem(&shmem_fs_type));
	shm_mnt = TRY(kern_mount(&shmem_fs_type));
	return Result{};
}

ErrorOr<page *> shmem_get_page(inode *ino, unsigned long index)
{
	address_space *m = ino->i_mapping;
	for (;;) {
		if (page *p = find_get_page(m, index))
			return p;
		shmem_sb_info *sbi = SHMEM_SB(ino->i_sb);
		if (__atomic_add_fetch(&sbi->used_blocks, 1, __ATOMIC_RELAXED) > sbi->max_blocks) {
			__atomic_sub_fetch(&sbi->used_blocks, 1, __ATOMIC_RELAXED);
			return Errno::ENOSPC;
		}
		page *p = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!p) {
			__atomic_sub_fetch(&sbi->used_blocks, 1, __ATOMIC_RELAXED);
			return Errno::ENOMEM;
		}
		clear_page(page_address(p));
		SetPageUptodate(p);
		Result r = add_to_page_cache(p, m, index, GFP_KERNEL);
		if (r.is_error()) {
			__atomic_sub_fetch(&sbi->used_blocks, 1, __ATOMIC_RELAXED);
			put_page(p);
			if (r.error().code() == Errno::EEXIST)
				continue; // another writer added it first
			return r.error();
		}
		ino->i_blocks += PAGE_SIZE / 512;
		return p;
	}
}

ErrorOr<file *> shmem_file_setup(const char *name, loff_t size, unsigned long flags)
{
	(void)flags;
	super_block *sb = shm_mnt->mnt_sb;
	inode *ino = TRY(shmem_get_inode(sb, nullptr, S_IFREG | 0777, 0));
	ino->i_size = size;
	ino->i_nlink = 0; // never linked: freed with its last user
	usize n = strnlen(name, NAME_MAX);
	auto d = d_alloc(nullptr, qstr{name, static_cast<u32>(n)});
	if (d.is_error()) {
		iput(ino);
		return d.error();
	}
	d.value()->d_sb = sb;
	d.value()->d_flags |= DCACHE_UNHASHED;
	d_instantiate(d.value(), ino);
	path p{shm_mnt, d.value()};
	mntget(shm_mnt);
	auto f = dentry_open(&p, O_RDWR);
	path_put(&p);
	return f;
}
