// Inodes (Linux's fs/inode.c, reduced): allocation, references and eviction. There is no inode
// cache: an inode lives exactly as long as its references (a dentry's, an open file's through
// its dentry, a pseudo file's), and the last iput frees it with its page cache.
#include <asm/arch_timer.h>

#include "core/panic.h"
#include "fs/internal.h"
#include "kstd/new.h"
#include "mm/filemap.h"
#include "mm/slab.h"

namespace {
kmem_cache *inode_cachep;
long nr_inodes;
} // namespace

timespec64 current_time()
{
	// No RTC yet: CLOCK_REALTIME counts from boot, as clock_gettime does.
	u64 c = arch_counter_get_cntpct();
	u64 f = arch_timer_get_cntfrq();
	return {static_cast<i64>(c / f), static_cast<long>((c % f) * 1000000000ull / f)};
}

ErrorOr<inode *> new_inode(super_block *sb)
{
	if (!inode_cachep) {
		inode_cachep = kmem_cache_create("inode_cache", sizeof(inode), 8, SLAB_RECLAIM_ACCOUNT, nullptr);
		if (!inode_cachep)
			return Errno::ENOMEM;
	}
	void *mem = kmem_cache_alloc(inode_cachep, GFP_KERNEL);
	if (!mem)
		return Errno::ENOMEM;
	auto *ino = new (mem) inode{};
	ino->i_count = 1;
	ino->i_nlink = 1;
	ino->i_sb = sb;
	ino->i_ino = __atomic_add_fetch(&sb->s_next_ino, 1, __ATOMIC_RELAXED);
	ino->i_atime = ino->i_mtime = ino->i_ctime = current_time();
	address_space_init(&ino->i_data, ino);
	ino->i_mapping = &ino->i_data;
	{
		SpinLockGuard g(sb->s_inode_lock);
		list_add_tail(&ino->i_sb_list, &sb->s_inodes);
	}
	__atomic_add_fetch(&nr_inodes, 1, __ATOMIC_RELAXED);
	return ino;
}

inode *igrab(inode *ino)
{
	__atomic_add_fetch(&ino->i_count, 1, __ATOMIC_RELAXED);
	return ino;
}

void destroy_inode(inode *ino)
{
	truncate_inode_pages(&ino->i_data, 0);
	BUG_ON(ino->i_data.nrpages);
	if (ino->i_sb->s_op && ino->i_sb->s_op->evict_inode)
		ino->i_sb->s_op->evict_inode(ino);
	{
		SpinLockGuard g(ino->i_sb->s_inode_lock);
		list_del(&ino->i_sb_list);
	}
	kfree(ino->i_link);
	ino->~inode();
	kmem_cache_free(inode_cachep, ino);
	__atomic_sub_fetch(&nr_inodes, 1, __ATOMIC_RELAXED);
}

void iput(inode *ino)
{
	if (!ino)
		return;
	int c = __atomic_sub_fetch(&ino->i_count, 1, __ATOMIC_ACQ_REL);
	BUG_ON(c < 0);
	if (c == 0)
		destroy_inode(ino);
}

void generic_fillattr(inode *ino, kstat *st)
{
	st->ino = ino->i_ino;
	st->dev = ino->i_sb->s_dev;
	st->mode = ino->i_mode;
	st->nlink = ino->i_nlink;
	st->uid = ino->i_uid;
	st->gid = ino->i_gid;
	st->rdev = ino->i_rdev;
	st->size = ino->i_size;
	st->atime = ino->i_atime;
	st->mtime = ino->i_mtime;
	st->ctime = ino->i_ctime;
	st->blksize = 4096;
	st->blocks = ino->i_blocks;
}

void inode_reset_for_test()
{
	inode_cachep = nullptr;
	nr_inodes = 0;
}

long vfs_inode_count() { return __atomic_load_n(&nr_inodes, __ATOMIC_RELAXED); }
