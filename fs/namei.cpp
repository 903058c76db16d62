// Path walk and the operations on names (Linux's fs/namei.c, reduced): link_path_walk with
// symlinks (MAXSYMLINKS in all), "." and "..", mount crossing, trailing slashes; create,
// mkdir, mknod, symlink, link, unlink, rmdir, rename.
//
// Locking: a lookup holds the directory's i_rwsem shared; changes to a directory's entries
// hold it exclusive; rename takes rename_mutex first and then both directories (parent before
// child, else by address), as Linux's lock_rename.
#include "core/panic.h"
#include "fs/internal.h"
#include "kstd/string.h"
#include "mm/slab.h"

namespace {
rw_semaphore rename_mutex;

bool is_dir(const dentry *d) { return d->d_inode && S_ISDIR(d->d_inode->i_mode); }

// One level of the walk: the rest of a string being walked, and what keeps it alive (the
// symlink's dentry for a tmpfs target, or a buffer for a generated one).
struct walk_level {
	const char *rest;
	dentry *link; // reference held while rest points into its inode's i_link
	char *buf;    // kmalloc'd, for get_link's generated targets
};

struct nameidata {
	path root;
	path cur;
	walk_level stack[MAXSYMLINKS + 1];
	int depth; // levels in use (stack[depth - 1] is being walked)
	int total_links;
	unsigned flags;
};

void drop_levels(nameidata *nd)
{
	while (nd->depth > 0) {
		walk_level &l = nd->stack[--nd->depth];
		if (l.link)
			dput(l.link);
		kfree(l.buf);
	}
}

const char *skip_slashes(const char *s)
{
	while (*s == '/')
		s++;
	return s;
}

// Whether nothing but slashes remains in this level and every outer one (the component just
// read is the last), and whether a slash followed it anywhere.
bool rest_is_last(const nameidata *nd, bool *trailing)
{
	*trailing = false;
	for (int i = nd->depth - 1; i >= 0; i--) {
		const char *r = nd->stack[i].rest;
		if (*r == '/')
			*trailing = true;
		if (*skip_slashes(r))
			return false;
	}
	return true;
}

void follow_mounts(path *p)
{
	while (vfsmount *m = lookup_mnt(p->mnt, p->dentry)) {
		path next{m, dget(m->mnt_root)};
		path_put(p);
		*p = next;
	}
}

void follow_dotdot(nameidata *nd)
{
	for (;;) {
		if (nd->cur.dentry == nd->root.dentry && nd->cur.mnt == nd->root.mnt)
			return; // ".." at the root stays there
		if (nd->cur.dentry != nd->cur.mnt->mnt_root)
			break;
		vfsmount *m = nd->cur.mnt;
		if (m->mnt_parent == m)
			return; // the top of the tree
		path up{m->mnt_parent, m->mnt_mountpoint};
		path_get(&up);
		path_put(&nd->cur);
		nd->cur = up;
	}
	dentry *parent;
	{
		SpinLockGuard g(dcache_lock);
		parent = nd->cur.dentry->d_parent;
		parent->d_count++;
	}
	dput(nd->cur.dentry);
	nd->cur.dentry = parent;
	follow_mounts(&nd->cur);
}

// Pushes the target of the symlink at link (a path whose reference passes to the walk).
Result push_link(nameidata *nd, path *link)
{
	if (++nd->total_links > MAXSYMLINKS || nd->depth > MAXSYMLINKS) {
		path_put(link);
		return Errno::ELOOP;
	}
	inode *ino = link->dentry->d_inode;
	walk_level &l = nd->stack[nd->depth];
	l = {nullptr, nullptr, nullptr};
	const char *target = ino->i_link;
	if (!target && ino->i_op && ino->i_op->get_link) {
		l.buf = static_cast<char *>(kmalloc(PATH_MAX, GFP_KERNEL));
		if (!l.buf) {
			path_put(link);
			return Errno::ENOMEM;
		}
		target = ino->i_op->get_link(link->dentry, l.buf, PATH_MAX);
		if (!target) {
			kfree(l.buf);
			path_put(link);
			return Errno::ENOENT;
		}
	}
	if (!target) {
		path_put(link);
		return Errno::EINVAL;
	}
	l.link = dget(link->dentry);
	l.rest = target;
	nd->depth++;
	path_put(link);
	if (*target == '/') {
		path_put(&nd->cur);
		nd->cur = nd->root;
		path_get(&nd->cur);
	}
	return Result{};
}

// The walk itself. With LOOKUP_PARENT it stops before the last component and fills *last.
Result walk(nameidata *nd, const char *name, parent_result *last)
{
	if (!*name && !(nd->flags & LOOKUP_EMPTY))
		return Errno::ENOENT;
	if (strnlen(name, PATH_MAX) >= static_cast<usize>(PATH_MAX))
		return Errno::ENAMETOOLONG;
	if (*name == '/') {
		path_put(&nd->cur);
		nd->cur = nd->root;
		path_get(&nd->cur);
	}
	nd->stack[0] = {name, nullptr, nullptr};
	nd->depth = 1;
	if (last) {
		last->type = LastType::ROOT;
		last->trailing_slash = false;
		last->last = {last->last_name, 0};
	}
	for (;;) {
		walk_level &lv = nd->stack[nd->depth - 1];
		lv.rest = skip_slashes(lv.rest);
		if (!*lv.rest) {
			if (nd->depth == 1)
				break;
			walk_level done = nd->stack[--nd->depth];
			if (done.link)
				dput(done.link);
			kfree(done.buf);
			continue;
		}
		const char *comp = lv.rest;
		usize len = 0;
		while (comp[len] && comp[len] != '/')
			len++;
		if (len > static_cast<usize>(NAME_MAX))
			return Errno::ENAMETOOLONG;
		lv.rest = comp + len;
		if (!is_dir(nd->cur.dentry))
			return Errno::ENOTDIR;
		bool trailing;
		bool is_last = rest_is_last(nd, &trailing);
		bool dot = len == 1 && comp[0] == '.';
		bool dotdot = len == 2 && comp[0] == '.' && comp[1] == '.';
		if (is_last && last) {
			last->type = dot ? LastType::DOT : dotdot ? LastType::DOTDOT : LastType::NORM;
			last->trailing_slash = trailing;
			memcpy(last->last_name, comp, len);
			last->last_name[len] = '\0';
			last->last = {last->last_name, static_cast<u32>(len)};
			return Result{};
		}
		if (dot)
			continue;
		if (dotdot) {
			follow_dotdot(nd);
			continue;
		}
		dentry *dir = nd->cur.dentry;
		dir->d_inode->i_rwsem.down_read();
		ErrorOr<dentry *> found = lookup_one(dir, qstr{comp, static_cast<u32>(len)});
		dir->d_inode->i_rwsem.up_read();
		if (found.is_error())
			return found.error();
		dentry *d = found.value();
		if (!d->d_inode) {
			dput(d);
			return Errno::ENOENT;
		}
		path next{nd->cur.mnt, d};
		mntget(next.mnt);
		follow_mounts(&next);
		inode *ino = next.dentry->d_inode;
		if (S_ISLNK(ino->i_mode) && (!is_last || (nd->flags & LOOKUP_FOLLOW) || trailing)) {
			TRY(push_link(nd, &next));
			continue;
		}
		path_put(&nd->cur);
		nd->cur = next;
		if (is_last && trailing && !is_dir(nd->cur.dentry))
			return Errno::ENOTDIR;
	}
	if (last)
		return Result{}; // the path named the start or the root: no last component
	if ((nd->flags & LOOKUP_DIRECTORY) && !is_dir(nd->cur.dentry))
		return Errno::ENOTDIR;
	return Result{};
}

void nd_init(nameidata *nd, const path &root, const path &start, unsigned flags)
{
	nd->root = root;
	nd->cur = start;
	path_get(&nd->root);
	path_get(&nd->cur);
	nd->depth = 0;
	nd->total_links = 0;
	nd->flags = flags;
}

void nd_done(nameidata *nd)
{
	drop_levels(nd);
	path_put(&nd->root);
}
} // namespace

ErrorOr<dentry *> lookup_one(dentry *dir, const qstr &name)
{
	if (dentry *d = d_lookup(dir, name))
		return d;
	dentry *d = TRY(d_alloc(dir, name));
	inode *dino = dir->d_inode;
	if (dino->i_op && dino->i_op->lookup) {
		auto r = dino->i_op->lookup(dino, d);
		if (r.is_error()) {
			dput(d);
			return r.error();
		}
		if (r.value())
			d_instantiate(d, r.value());
	}
	return d;
}

ErrorOr<path> vfs_path_lookup(const path &root, const path &start, const char *name, unsigned flags)
{
	nameidata nd;
	nd_init(&nd, root, start, flags);
	Result r = walk(&nd, name, nullptr);
	nd_done(&nd);
	if (r.is_error()) {
		path_put(&nd.cur);
		return r.error();
	}
	return nd.cur;
}

Result vfs_path_parent(const path &root, const path &start, const char *name, parent_result *out)
{
	nameidata nd;
	nd_init(&nd, root, start, 0);
	Result r = walk(&nd, name, out);
	nd_done(&nd);
	if (r.is_error()) {
		path_put(&nd.cur);
		return r.error();
	}
	out->parent = nd.cur;
	return Result{};
}

// --- operations on names (the caller holds dir's i_rwsem exclusive) -----------------------------
Result vfs_create(inode *dir, dentry *d, umode_t mode)
{
	if (!dir->i_op || !dir->i_op->create)
		return Errno::EACCES;
	return dir->i_op->create(dir, d, (mode & 07777) | S_IFREG);
}

Result vfs_mkdir(inode *dir, dentry *d, umode_t mode)
{
	if (!dir->i_op || !dir->i_op->mkdir)
		return Errno::EPERM;
	return dir->i_op->mkdir(dir, d, (mode & 01777) | S_IFDIR);
}

Result vfs_mknod(inode *dir, dentry *d, umode_t mode, dev_t dev)
{
	if (!dir->i_op || !dir->i_op->mknod)
		return Errno::EPERM;
	return dir->i_op->mknod(dir, d, mode, dev);
}

Result vfs_symlink(inode *dir, dentry *d, const char *target)
{
	if (!dir->i_op || !dir->i_op->symlink)
		return Errno::EPERM;
	return dir->i_op->symlink(dir, d, target);
}

// mkdirat/mknodat/symlinkat share this: create the last component of name.
enum class Create { DIR, NODE, SYMLINK };
static Result do_create(const path &root, const path &start, const char *name, Create kind, umode_t mode, dev_t dev,
			const char *target)
{
	parent_result pr;
	TRY(vfs_path_parent(root, start, name, &pr));
	Result r{};
	if (pr.type != LastType::NORM) {
		r = Errno::EEXIST;
	} else {
		inode *dir = pr.parent.dentry->d_inode;
		WriteGuard g(dir->i_rwsem);
		auto d = lookup_one(pr.parent.dentry, pr.last);
		if (d.is_error()) {
			r = d.error();
		} else {
			if (d.value()->d_inode)
				r = Errno::EEXIST;
			else if (pr.trailing_slash && kind != Create::DIR)
				r = Errno::ENOENT; // mknod("x/"), symlink(..., "x/")
			else if (kind == Create::DIR)
				r = vfs_mkdir(dir, d.value(), mode);
			else if (kind == Create::NODE)
				r = S_ISREG(mode) || !(mode & S_IFMT) ? vfs_create(dir, d.value(), mode)
								    : vfs_mknod(dir, d.value(), mode, dev);
			else
				r = vfs_symlink(dir, d.value(), target);
			dput(d.value());
		}
	}
	path_put(&pr.parent);
	return r;
}

Result vfs_mkdirat(const path &root, const path &start, const char *name, umode_t mode)
{
	return do_create(root, start, name, Create::DIR, mode, 0, nullptr);
}
Result vfs_mknodat(const path &root, const path &start, const char *name, umode_t mode, dev_t dev)
{
	return do_create(root, start, name, Create::NODE, mode, dev, nullptr);
}
Result vfs_symlinkat(const path &root, const path &start, const char *name, const char *target)
{
	return do_create(root, start, name, Create::SYMLINK, 0777, 0, target);
}

// unlink (rmdir == false) or rmdir of the last component of name.
Result vfs_unlinkat(const path &root, const path &start, const char *name, bool rmdir)
{
	parent_result pr;
	TRY(vfs_path_parent(root, start, name, &pr));
	Result r{};
	if (pr.type != LastType::NORM) {
		// Linux: rmdir(".") EINVAL, rmdir("..") ENOTEMPTY, rmdir("/") EBUSY; unlink of any is EISDIR.
		if (!rmdir)
			r = Errno::EISDIR;
		else
			r = pr.type == LastType::DOT ? Errno::EINVAL : pr.type == LastType::DOTDOT ? Errno::ENOTEMPTY : Errno::EBUSY;
		path_put(&pr.parent);
		return r;
	}
	{
		inode *dir = pr.parent.dentry->d_inode;
		WriteGuard g(dir->i_rwsem);
		auto dr = lookup_one(pr.parent.dentry, pr.last);
		if (dr.is_error()) {
			r = dr.error();
		} else {
			dentry *d = dr.value();
			if (!d->d_inode)
				r = Errno::ENOENT;
			else if (d->d_flags & DCACHE_MOUNTED)
				r = Errno::EBUSY;
			else if (rmdir && !is_dir(d))
				r = Errno::ENOTDIR;
			else if (!rmdir && is_dir(d))
				r = Errno::EISDIR;
			else if (!rmdir && pr.trailing_slash)
				r = Errno::ENOTDIR; // unlink("file/")
			else if (rmdir)
				r = dir->i_op && dir->i_op->rmdir ? dir->i_op->rmdir(dir, d) : Result(Errno::EPERM);
			else
				r = dir->i_op && dir->i_op->unlink ? dir->i_op->unlink(dir, d) : Result(Errno::EPERM);
			dput(d);
		}
	}
	path_put(&pr.parent);
	return r;
}

Result vfs_linkat(const path &old, const path &root, const path &start, const char *newname)
{
	if (is_dir(old.dentry))
		return Errno::EPERM;
	parent_result pr;
	TRY(vfs_path_parent(root, start, newname, &pr));
	Result r{};
	if (pr.type != LastType::NORM) {
		r = Errno::EEXIST;
	} else if (pr.parent.mnt != old.mnt) {
		r = Errno::EXDEV;
	} else {
		inode *dir = pr.parent.dentry->d_inode;
		WriteGuard g(dir->i_rwsem);
		auto d = lookup_one(pr.parent.dentry, pr.last);
		if (d.is_error()) {
			r = d.error();
		} else {
			if (d.value()->d_inode)
				r = Errno::EEXIST;
			else if (pr.trailing_slash)
				r = Errno::ENOENT;
			else if (!dir->i_op || !dir->i_op->link)
				r = Errno::EPERM;
			else if (old.dentry->d_inode->i_nlink == 0)
				r = Errno::ENOENT; // linking an unlinked file (Linux without O_TMPFILE)
			else
				r = dir->i_op->link(old.dentry, dir, d.value());
			dput(d.value());
		}
	}
	path_put(&pr.parent);
	return r;
}

// Whether a is d or one of d's ancestors (rename of a directory into itself).
static bool is_ancestor(dentry *a, dentry *d)
{
	SpinLockGuard g(dcache_lock);
	for (;;) {
		if (d == a)
			return true;
		if (d->d_parent == d)
			return false;
		d = d->d_parent;
	}
}

inline constexpr unsigned RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

// Linux's lock_rename/unlock_rename: both directories, an ancestor before its descendant and
// otherwise by address, under rename_mutex (held by the caller) so no other rename can change
// the ancestry meanwhile. Which locks are taken depends on the arguments, which the static
// analysis cannot follow: these two are its only unchecked functions here.
static void lock_rename(inode *first, inode *second) TA_NO_THREAD_SAFETY_ANALYSIS
{
	first->i_rwsem.down_write();
	if (second != first)
		second->i_rwsem.down_write();
}
static void unlock_rename(inode *first, inode *second) TA_NO_THREAD_SAFETY_ANALYSIS
{
	if (second != first)
		second->i_rwsem.up_write();
	first->i_rwsem.up_write();
}

Result vfs_renameat(const path &root, const path &olds, const char *oldname, const path &news, const char *newname,
		    unsigned flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return Errno::EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return Errno::EINVAL;
	if (flags & (RENAME_EXCHANGE | RENAME_WHITEOUT))
		return Errno::EINVAL; // not supported by this tmpfs (Linux's tmpfs has them)
	parent_result op, np;
	TRY(vfs_path_parent(root, olds, oldname, &op));
	if (Result r = vfs_path_parent(root, news, newname, &np); r.is_error()) {
		path_put(&op.parent);
		return r;
	}
	Result r{};
	auto done = [&](Result res) {
		path_put(&op.parent);
		path_put(&np.parent);
		return res;
	};
	if (op.type != LastType::NORM)
		return done(op.type == LastType::ROOT ? Errno::EBUSY : Errno::EBUSY);
	if (np.type != LastType::NORM)
		return done(np.type == LastType::ROOT ? Errno::EBUSY : Errno::EBUSY);
	if (op.parent.mnt != np.parent.mnt)
		return done(Errno::EXDEV);
	WriteGuard rg(rename_mutex);
	dentry *odir = op.parent.dentry, *ndir = np.parent.dentry;
	inode *oi = odir->d_inode, *ni = ndir->d_inode;
	// Lock order: an ancestor before its descendant, else by address.
	inode *first = oi, *second = ni;
	if (oi != ni && (is_ancestor(ndir, odir) ? true : is_ancestor(odir, ndir) ? false : oi > ni)) {
		first = ni;
		second = oi;
	}
	lock_rename(first, second);
	auto unlock = [&] { unlock_rename(first, second); };
	auto od = lookup_one(odir, op.last);
	if (od.is_error()) {
		unlock();
		return done(od.error());
	}
	auto nd = lookup_one(ndir, np.last);
	if (nd.is_error()) {
		dput(od.value());
		unlock();
		return done(nd.error());
	}
	dentry *o = od.value(), *n = nd.value();
	if (!o->d_inode)
		r = Errno::ENOENT;
	else if ((op.trailing_slash || np.trailing_slash) && !is_dir(o))
		r = Errno::ENOTDIR;
	else if (o == n || (n->d_inode && n->d_inode == o->d_inode))
		r = Result{}; // the same file: nothing to do (Linux returns 0)
	else if (n->d_inode && (flags & RENAME_NOREPLACE))
		r = Errno::EEXIST;
	else if ((o->d_flags & DCACHE_MOUNTED) || (n->d_flags & DCACHE_MOUNTED))
		r = Errno::EBUSY;
	else if (is_dir(o) && is_ancestor(o, ndir))
		r = Errno::EINVAL; // into itself
	else if (n->d_inode && is_dir(n) && is_ancestor(n, odir))
		r = Errno::ENOTEMPTY;
	else if (n->d_inode && is_dir(o) && !is_dir(n))
		r = Errno::ENOTDIR;
	else if (n->d_inode && !is_dir(o) && is_dir(n))
		r = Errno::EISDIR;
	else if (!oi->i_op || !oi->i_op->rename)
		r = Errno::EPERM;
	else
		r = oi->i_op->rename(oi, o, ni, n, flags);
	dput(o);
	dput(n);
	unlock();
	return done(r);
}
