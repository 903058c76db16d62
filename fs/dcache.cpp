// Dentries (Linux's fs/dcache.c, reduced): names in directories, their tree and references.
//
// There is no hash table and no LRU: children hang off their parent's d_subdirs list and a
// lookup walks it (directories here hold hundreds of entries, not millions). A dentry is freed
// at its last dput when it is negative, unhashed (unlinked/renamed over) or its file system
// says so (d_op->d_delete, /proc); a tmpfs entry is held by the file system's own reference
// (DCACHE_PERSISTENT) until it is unlinked. Negative dentries are not cached.
#include "core/panic.h"
#include "fs/internal.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "mm/slab.h"

SpinLock dcache_lock;

namespace {
kmem_cache *dentry_cachep;
long nr_dentries;

bool name_eq(const qstr &a, const qstr &b) { return a.len == b.len && memcmp(a.name, b.name, a.len) == 0; }

// Sets d's name (d_iname or a kmalloc'd copy); ENOMEM.
Result set_name(dentry *d, const qstr &name, const char **to_free)
{
	*to_free = nullptr;
	char *dst;
	if (name.len < DNAME_INLINE_LEN) {
		dst = d->d_iname;
		if (d->d_name.name != d->d_iname)
			*to_free = d->d_name.name;
		// Renaming in place over the inline buffer: copy via a temporary when they overlap.
		char tmp[DNAME_INLINE_LEN];
		memcpy(tmp, name.name, name.len);
		memcpy(dst, tmp, name.len);
	} else {
		dst = static_cast<char *>(kmalloc(name.len + 1, GFP_KERNEL));
		if (!dst)
			return Errno::ENOMEM;
		memcpy(dst, name.name, name.len);
		if (d->d_name.name && d->d_name.name != d->d_iname)
			*to_free = d->d_name.name;
	}
	dst[name.len] = '\0';
	d->d_name.name = dst;
	d->d_name.len = name.len;
	return Result{};
}

void free_dentry(dentry *d)
{
	if (d->d_op && d->d_op->d_release)
		d->d_op->d_release(d);
	if (d->d_name.name != d->d_iname)
		kfree(const_cast<char *>(d->d_name.name));
	d->~dentry();
	kmem_cache_free(dentry_cachep, d);
	__atomic_sub_fetch(&nr_dentries, 1, __ATOMIC_RELAXED);
}
} // namespace

void dcache_reset_for_test()
{
	dentry_cachep = nullptr;
	nr_dentries = 0;
}

long vfs_dentry_count() { return __atomic_load_n(&nr_dentries, __ATOMIC_RELAXED); }

ErrorOr<dentry *> d_alloc(dentry *parent, const qstr &name)
{
	if (name.len > NAME_MAX)
		return Errno::ENAMETOOLONG;
	if (!dentry_cachep) {
		dentry_cachep = kmem_cache_create("dentry", sizeof(dentry), 8, SLAB_RECLAIM_ACCOUNT, nullptr);
		if (!dentry_cachep)
			return Errno::ENOMEM;
	}
	void *mem = kmem_cache_alloc(dentry_cachep, GFP_KERNEL);
	if (!mem)
		return Errno::ENOMEM;
	auto *d = new (mem) dentry{};
	d->d_count = 1;
	INIT_LIST_HEAD(&d->d_subdirs);
	INIT_LIST_HEAD(&d->d_child);
	d->d_next_index = 2; // 0 and 1 are "." and ".."
	const char *unused;
	if (set_name(d, name, &unused).is_error()) {
		d->~dentry();
		kmem_cache_free(dentry_cachep, d);
		return Errno::ENOMEM;
	}
	__atomic_add_fetch(&nr_dentries, 1, __ATOMIC_RELAXED);
	if (parent) {
		d->d_parent = dget(parent);
		d->d_sb = parent->d_sb;
		d->d_op = parent->d_op;
		SpinLockGuard g(dcache_lock);
		d->d_index = parent->d_next_index++;
		list_add_tail(&d->d_child, &parent->d_subdirs);
	} else {
		d->d_parent = d;
	}
	return d;
}

ErrorOr<dentry *> d_make_root(inode *ino)
{
	auto d = d_alloc(nullptr, qstr{"/", 1});
	if (d.is_error()) {
		iput(ino);
		return d.error();
	}
	d.value()->d_sb = ino->i_sb;
	d_instantiate(d.value(), ino);
	return d.value();
}

void d_instantiate(dentry *d, inode *ino)
{
	SpinLockGuard g(dcache_lock);
	BUG_ON(d->d_inode);
	d->d_inode = ino;
}

dentry *dget(dentry *d)
{
	if (d)
		__atomic_add_fetch(&d->d_count, 1, __ATOMIC_RELAXED);
	return d;
}

void dput(dentry *d)
{
	while (d) {
		dentry *parent;
		inode *ino;
		{
			SpinLockGuard g(dcache_lock);
			int c = --d->d_count;
			BUG_ON(c < 0);
			if (c > 0)
				return;
			bool kill = !d->d_inode || (d->d_flags & DCACHE_UNHASHED) || d->d_parent == d ||
				    (d->d_op && d->d_op->d_delete && d->d_op->d_delete(d));
			if (!kill)
				return;
			if (!list_empty(&d->d_child))
				list_del_init(&d->d_child);
			parent = d->d_parent == d ? nullptr : d->d_parent;
			ino = d->d_inode;
			d->d_inode = nullptr;
		}
		iput(ino);
		free_dentry(d);
		d = parent;
	}
}

dentry *d_lookup(dentry *parent, const qstr &name)
{
	SpinLockGuard g(dcache_lock);
	list_head *pos;
	for (pos = parent->d_subdirs.next; pos != &parent->d_subdirs; pos = pos->next) {
		dentry *c = container_of(pos, dentry, d_child);
		if (!(c->d_flags & DCACHE_UNHASHED) && name_eq(c->d_name, name)) {
			c->d_count++;
			return c;
		}
	}
	return nullptr;
}

void d_delete(dentry *d)
{
	SpinLockGuard g(dcache_lock);
	d->d_flags |= DCACHE_UNHASHED;
	if (!list_empty(&d->d_child))
		list_del_init(&d->d_child);
}

void d_make_persistent(dentry *d)
{
	SpinLockGuard g(dcache_lock);
	d->d_flags |= DCACHE_PERSISTENT;
	d->d_count++;
}

void d_drop_persistent(dentry *d)
{
	{
		SpinLockGuard g(dcache_lock);
		if (!(d->d_flags & DCACHE_PERSISTENT))
			return;
		d->d_flags &= ~DCACHE_PERSISTENT;
	}
	dput(d);
}

Result d_move(dentry *d, dentry *new_parent, const qstr &new_name)
{
	// The new name is allocated first: nothing changes on ENOMEM.
	char *longname = nullptr;
	if (new_name.len >= DNAME_INLINE_LEN) {
		longname = static_cast<char *>(kmalloc(new_name.len + 1, GFP_KERNEL));
		if (!longname)
			return Errno::ENOMEM;
		memcpy(longname, new_name.name, new_name.len);
		longname[new_name.len] = '\0';
	}
	const char *old_long = nullptr;
	dentry *old_parent;
	dget(new_parent);
	{
		SpinLockGuard g(dcache_lock);
		if (d->d_name.name != d->d_iname)
			old_long = d->d_name.name;
		if (longname) {
			d->d_name.name = longname;
		} else {
			memmove(d->d_iname, new_name.name, new_name.len);
			d->d_iname[new_name.len] = '\0';
			d->d_name.name = d->d_iname;
		}
		d->d_name.len = new_name.len;
		old_parent = d->d_parent;
		if (!list_empty(&d->d_child))
			list_del(&d->d_child);
		d->d_parent = new_parent;
		d->d_index = new_parent->d_next_index++;
		list_add_tail(&d->d_child, &new_parent->d_subdirs);
	}
	kfree(const_cast<char *>(old_long));
	dput(old_parent);
	return Result{};
}

void d_for_each_child(dentry *parent, bool (*fn)(void *ctx, dentry *child), void *ctx)
{
	// One child at a time with a reference, the lock dropped around fn (which may sleep):
	// positions (d_index) keep the walk stable if children come and go meanwhile.
	unsigned long next = 0;
	for (;;) {
		dentry *c = nullptr;
		{
			SpinLockGuard g(dcache_lock);
			for (list_head *pos = parent->d_subdirs.next; pos != &parent->d_subdirs; pos = pos->next) {
				dentry *e = container_of(pos, dentry, d_child);
				if (e->d_index >= next && e->d_inode && !(e->d_flags & DCACHE_UNHASHED)) {
					c = e;
					c->d_count++;
					break;
				}
			}
		}
		if (!c)
			return;
		next = c->d_index + 1;
		bool more = fn(ctx, c);
		dput(c);
		if (!more)
			return;
	}
}

// Linux's dcache_readdir: ".", "..", then the positive children from ctx->pos on.
int dcache_readdir(file *f, dir_context *ctx)
{
	dentry *dir = f->f_path.dentry;
	if (ctx->pos == 0) {
		if (!ctx->actor(ctx, ".", 1, 0, dir->d_inode->i_ino, DT_DIR))
			return 0;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		dentry *p = dir->d_parent;
		if (!ctx->actor(ctx, "..", 2, 1, p->d_inode->i_ino, DT_DIR))
			return 0;
		ctx->pos = 2;
	}
	// Each entry is copied out under the lock (a rename may free the name meanwhile) and
	// emitted after it, since the actor copies to user memory and may fault.
	char name[NAME_MAX + 1];
	for (;;) {
		bool found = false;
		u32 len = 0;
		u64 ino = 0;
		unsigned type = 0;
		unsigned long index = 0;
		{
			SpinLockGuard g(dcache_lock);
			for (list_head *pos = dir->d_subdirs.next; pos != &dir->d_subdirs; pos = pos->next) {
				dentry *e = container_of(pos, dentry, d_child);
				if (static_cast<loff_t>(e->d_index) >= ctx->pos && e->d_inode &&
				    !(e->d_flags & DCACHE_UNHASHED)) {
					found = true;
					len = e->d_name.len;
					memcpy(name, e->d_name.name, len);
					ino = e->d_inode->i_ino;
					type = fs_umode_to_dtype(e->d_inode->i_mode);
					index = e->d_index;
					break;
				}
			}
		}
		if (!found)
			return 0;
		name[len] = '\0';
		if (!ctx->actor(ctx, name, static_cast<int>(len), static_cast<loff_t>(index), ino, type))
			return 0;
		ctx->pos = static_cast<loff_t>(index + 1);
	}
}
