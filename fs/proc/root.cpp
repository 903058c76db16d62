// procfs (Linux's fs/proc/root.c, inode.c, base.c, generic.c, proc_sysctl.c, reduced): the
// /proc tree built on demand from the tables in fs/proc/proc_fs.h.
//
// - Directories: the root, the subdirectories the table's paths imply ("sys", "sys/vm"), and
//   one per process (/proc/<tgid>), made at lookup. Every procfs dentry is dropped at its last
//   dput (d_op->d_delete), so a /proc/<pid> directory and its inodes go with their last user,
//   and a pid never seen again leaves nothing behind.
// - Files: each open file owns a seq_file run by the entry's generator (lib/seq_file.h): a
//   read at the position where the last one ended continues the same snapshot, a read
//   elsewhere (pread, after lseek) regenerates it, as Linux's seq_read for single_open files.
//   A write hands the whole buffer to the entry's write handler.
// - /proc/self is a symlink to the reader's tgid; /proc/mounts to self/mounts.
// - Permissions: every task is root, which Linux lets open any /proc file except that the
//   sysctl files keep their mode bits even for root (drop_caches is write-only: EACCES).
#include "fs/fs.h"
#include "fs/internal.h"
#include "fs/proc/internal.h"
#include "fs/proc/proc_fs.h"
#include "kernel/sched.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"
#include "core/panic.h"
#include "mm/slab.h"

namespace {

constexpr u64 PROC_SUPER_MAGIC = 0x9fa0;

enum class pnode : u8 { dir, pid_dir, file, self_link, link };

// What an inode of procfs stands for (inode::i_private, freed at eviction).
struct proc_inode {
	pnode kind;
	int pid;                // pid_dir, and files below one
	const proc_entry *entry; // file
	char prefix[48];        // dir: the table path of its entries ("", "sys/", "sys/vm/")
	const char *target;     // link
};

proc_inode *PI(const inode *ino) { return static_cast<proc_inode *>(ino->i_private); }

extern const inode_operations proc_dir_iops, proc_pid_dir_iops, proc_link_iops;
extern const file_operations proc_dir_fops, proc_pid_dir_fops, proc_file_fops;

bool always_delete(const dentry *) { return true; }
const dentry_operations proc_dentry_ops = {.d_delete = always_delete, .d_release = nullptr};

void proc_evict_inode(inode *ino) { kfree(ino->i_private); }
const super_operations proc_sops = {.evict_inode = proc_evict_inode, .magic = PROC_SUPER_MAGIC};

ErrorOr<inode *> proc_new_inode(super_block *sb, umode_t mode, const proc_inode &pi)
{
	auto *p = static_cast<proc_inode *>(kmalloc(sizeof(proc_inode), GFP_KERNEL));
	if (!p)
		return Errno::ENOMEM;
	*p = pi;
	auto r = new_inode(sb);
	if (r.is_error()) {
		kfree(p);
		return r.error();
	}
	inode *ino = r.value();
	ino->i_private = p;
	ino->i_mode = mode;
	ino->i_nlink = S_ISDIR(mode) ? 2 : 1;
	switch (pi.kind) {
	case pnode::dir:
		ino->i_op = &proc_dir_iops;
		ino->i_fop = &proc_dir_fops;
		break;
	case pnode::pid_dir:
		ino->i_op = &proc_pid_dir_iops;
		ino->i_fop = &proc_pid_dir_fops;
		break;
	case pnode::file:
		ino->i_fop = &proc_file_fops;
		break;
	case pnode::self_link:
	case pnode::link:
		ino->i_op = &proc_link_iops;
		break;
	}
	return ino;
}

// A live task with this id. Linux's /proc/<tid> resolves for every thread too (readdir lists
// only the thread-group leaders), and its files describe that thread.
bool tgid_alive(int pid)
{
	task_struct *t = find_get_task_by_pid(pid);
	if (!t)
		return false;
	put_task_struct(t);
	return true;
}

bool parse_pid(const char *name, u32 len, int *pid)
{
	if (len == 0 || len > 10 || name[0] == '0')
		return false;
	u64 v = 0;
	for (u32 i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return false;
		v = v * 10 + static_cast<u64>(name[i] - '0');
	}
	if (v > 0x7fffffff)
		return false;
	*pid = static_cast<int>(v);
	return true;
}

// Does a table path start with prefix + name + '/' (a directory) or equal it (a file)?
enum class match { none, file, dir };
match table_match(const char *path, const char *prefix, const char *name, u32 len)
{
	usize pl = strlen(prefix);
	if (strncmp(path, prefix, pl) != 0 || strncmp(path + pl, name, len) != 0)
		return match::none;
	char c = path[pl + len];
	if (c == 0)
		return match::file;
	return c == '/' ? match::dir : match::none;
}

ErrorOr<inode *> proc_dir_lookup(inode *dir, dentry *d)
{
	d->d_op = &proc_dentry_ops;
	proc_inode *pi = PI(dir);
	const char *name = d->d_name.name;
	u32 len = d->d_name.len;
	bool root = pi->prefix[0] == 0;
	if (root && len == 4 && strncmp(name, "self", 4) == 0) {
		proc_inode li{};
		li.kind = pnode::self_link;
		return proc_new_inode(dir->i_sb, S_IFLNK | 0777, li);
	}
	int pid;
	if (root && parse_pid(name, len, &pid)) {
		if (!tgid_alive(pid))
			return static_cast<inode *>(nullptr);
		proc_inode di{};
		di.kind = pnode::pid_dir;
		di.pid = pid;
		return proc_new_inode(dir->i_sb, S_IFDIR | 0555, di);
	}
	for (unsigned i = 0; i < nr_proc_root_entries; i++) {
		const proc_entry &e = proc_root_entries[i];
		match mt = table_match(e.name, pi->prefix, name, len);
		if (mt == match::file) {
			proc_inode fi{};
			if (S_ISLNK(e.mode)) {
				// /proc/mounts -> self/mounts (Linux's proc_symlink).
				fi.kind = pnode::link;
				fi.target = "self/mounts";
				return proc_new_inode(dir->i_sb, S_IFLNK | 0777, fi);
			}
			fi.kind = pnode::file;
			fi.entry = &e;
			return proc_new_inode(dir->i_sb, e.mode, fi);
		}
		if (mt == match::dir) {
			proc_inode di{};
			di.kind = pnode::dir;
			if (strlen(pi->prefix) + len + 2 > sizeof(di.prefix))
				return Errno::ENAMETOOLONG;
			kstd::snprintf(di.prefix, sizeof(di.prefix), "%s%.*s/", pi->prefix, static_cast<int>(len), name);
			return proc_new_inode(dir->i_sb, S_IFDIR | 0555, di);
		}
	}
	return static_cast<inode *>(nullptr);
}

ErrorOr<inode *> proc_pid_dir_lookup(inode *dir, dentry *d)
{
	d->d_op = &proc_dentry_ops;
	proc_inode *pi = PI(dir);
	if (!tgid_alive(pi->pid))
		return static_cast<inode *>(nullptr);
	char name[NAME_MAX + 1];
	memcpy(name, d->d_name.name, d->d_name.len);
	name[d->d_name.len] = 0;
	const proc_entry *e = proc_find_pid_entry(name);
	if (!e)
		return static_cast<inode *>(nullptr);
	proc_inode fi{};
	fi.kind = pnode::file;
	fi.pid = pi->pid;
	fi.entry = e;
	return proc_new_inode(dir->i_sb, e->mode, fi);
}

const char *proc_get_link(dentry *d, char *buf, usize size)
{
	proc_inode *pi = PI(d->d_inode);
	if (pi->kind == pnode::link)
		return pi->target;
	// /proc/self: the reader's process (Linux's proc_self_get_link; ENOENT for a kernel
	// thread would need a pid namespace: every task here has one).
	kstd::snprintf(buf, size, "%d", current->tgid);
	return buf;
}

// --- readdir ----------------------------------------------------------------------------------------------
// Positions: 0 ".", 1 "..", 2.. the table's names and "self", then PID_POS + tgid.
constexpr loff_t PID_POS = 1ll << 32;

// A nonzero d_ino for an entry not yet looked up: glibc's readdir skips entries whose d_ino is
// 0 (deleted files), so procfs must never report one (Linux gives each its inode's number).
u64 readdir_ino(loff_t pos) { return 0x80000000ull + static_cast<u64>(pos); }

bool emit_dots(file *f, dir_context *ctx)
{
	dentry *dir = f->f_path.dentry;
	if (ctx->pos == 0) {
		if (!ctx->actor(ctx, ".", 1, 0, dir->d_inode->i_ino, DT_DIR))
			return false;
		ctx->pos = 1;
	}
	if (ctx->pos == 1) {
		if (!ctx->actor(ctx, "..", 2, 1, dir->d_parent->d_inode->i_ino, DT_DIR))
			return false;
		ctx->pos = 2;
	}
	return true;
}

// The i-th distinct name directly below prefix in the table (files and directories), or false.
bool nth_child(const char *prefix, unsigned n, char *out, usize out_size, unsigned *type)
{
	usize pl = strlen(prefix);
	unsigned seen = 0;
	for (unsigned i = 0; i < nr_proc_root_entries; i++) {
		const char *p = proc_root_entries[i].name;
		if (strncmp(p, prefix, pl) != 0)
			continue;
		const char *rest = p + pl;
		const char *slash = strchr(rest, '/');
		usize len = slash ? static_cast<usize>(slash - rest) : strlen(rest);
		// Only the first table entry under a subdirectory names it.
		bool dup = false;
		for (unsigned j = 0; j < i && !dup; j++) {
			const char *q = proc_root_entries[j].name;
			dup = strncmp(q, prefix, pl) == 0 && strncmp(q + pl, rest, len) == 0 &&
			      (q[pl + len] == '/' || q[pl + len] == 0);
		}
		if (dup)
			continue;
		if (seen++ == n) {
			if (len + 1 > out_size)
				return false;
			memcpy(out, rest, len);
			out[len] = 0;
			*type = slash ? DT_DIR : fs_umode_to_dtype(proc_root_entries[i].mode);
			return true;
		}
	}
	return false;
}

struct tgid_collect {
	int *pids;
	unsigned n, max;
	int from;
};

int proc_dir_readdir(file *f, dir_context *ctx)
{
	if (!emit_dots(f, ctx))
		return 0;
	proc_inode *pi = PI(f->f_inode);
	char name[NAME_MAX + 1];
	unsigned type;
	while (ctx->pos < PID_POS) {
		unsigned idx = static_cast<unsigned>(ctx->pos - 2);
		if (!nth_child(pi->prefix, idx, name, sizeof(name), &type))
			break;
		if (!ctx->actor(ctx, name, static_cast<int>(strlen(name)), ctx->pos, readdir_ino(ctx->pos), type))
			return 0;
		ctx->pos++;
	}
	if (pi->prefix[0])
		return 0;
	if (ctx->pos < PID_POS) {
		// "self" after the table's names (its position is the one after the last of them).
		if (!ctx->actor(ctx, "self", 4, ctx->pos, readdir_ino(ctx->pos), DT_LNK))
			return 0;
		ctx->pos = PID_POS;
	}
	// The processes in pid order from the position on: collected under the task-list lock, in
	// batches, emitted after it (the actor copies to user memory).
	for (;;) {
		int batch[64];
		tgid_collect c{batch, 0, 64, static_cast<int>(ctx->pos - PID_POS)};
		for_each_task(
			[](task_struct *t, void *arg) {
				auto *cc = static_cast<tgid_collect *>(arg);
				// Only what a lookup of the name finds (find_get_task_by_pid: live tasks): a
				// child that has exited but is not yet reaped was listed and then gave ENOENT
				// to ls's stat (busybox's `ls -d /proc/[0-9]*` raced a dying sh -c).
				if (t->tgid != t->pid || t->pid < cc->from || t->exit_state)
					return;
				// Keep the smallest max pids >= from (insertion into a sorted batch).
				unsigned i = cc->n;
				if (i == cc->max) {
					if (t->pid >= cc->pids[i - 1])
						return;
					i--;
				} else {
					cc->n++;
				}
				while (i > 0 && cc->pids[i - 1] > t->pid) {
					cc->pids[i] = cc->pids[i - 1];
					i--;
				}
				cc->pids[i] = t->pid;
			},
			&c);
		if (c.n == 0)
			return 0;
		for (unsigned i = 0; i < c.n; i++) {
			char num[12];
			int len = kstd::snprintf(num, sizeof(num), "%d", batch[i]);
			if (!ctx->actor(ctx, num, len, PID_POS + batch[i], readdir_ino(PID_POS + batch[i]), DT_DIR))
				return 0;
			ctx->pos = PID_POS + batch[i] + 1;
		}
	}
}

int proc_pid_dir_readdir(file *f, dir_context *ctx)
{
	if (!emit_dots(f, ctx))
		return 0;
	if (!tgid_alive(PI(f->f_inode)->pid))
		return 0;
	while (ctx->pos - 2 < nr_proc_pid_entries) {
		const proc_entry &e = proc_pid_entries[ctx->pos - 2];
		if (!ctx->actor(ctx, e.name, static_cast<int>(strlen(e.name)), ctx->pos, readdir_ino(ctx->pos), fs_umode_to_dtype(e.mode)))
			return 0;
		ctx->pos++;
	}
	return 0;
}

// --- files ------------------------------------------------------------------------------------------------
struct proc_file {
	seq_file m;
	const proc_entry *e;
	void *arg;
	bool sysctl;
	bool pid_file;
};

int proc_file_open(inode *ino, file *f)
{
	proc_inode *pi = PI(ino);
	const proc_entry *e = pi->entry;
	bool sysctl = strncmp(e->name, "sys/", 4) == 0 && !pi->pid;
	// Linux's proc_sys_permission: the mode bits count even for root.
	if (sysctl && (((f->f_mode & FMODE_READ) && !(e->mode & 0400)) || ((f->f_mode & FMODE_WRITE) && !(e->mode & 0200))))
		return -13; // EACCES
	// A file of a process that is gone: Linux's proc_pid inodes fail to open then.
	if (pi->pid && !tgid_alive(pi->pid))
		return -3; // ESRCH
	auto *pf = static_cast<proc_file *>(kmalloc(sizeof(proc_file), GFP_KERNEL));
	if (!pf)
		return -12;
	new (pf) proc_file{};
	pf->e = e;
	pf->arg = reinterpret_cast<void *>(static_cast<long>(pi->pid));
	pf->sysctl = sysctl;
	pf->pid_file = pi->pid != 0;
	seq_single_init(&pf->m, e->show, pf->arg);
	f->private_data = pf;
	return 0;
}

void proc_file_release(inode *, file *f)
{
	auto *pf = static_cast<proc_file *>(f->private_data);
	if (!pf)
		return;
	seq_release(&pf->m);
	pf->~proc_file();
	kfree(pf);
}

long proc_file_read(file *f, iov_iter *to, loff_t *pos)
{
	auto *pf = static_cast<proc_file *>(f->private_data);
	if (!pf->e->show)
		return -22; // EINVAL: a write-only file
	auto v = seq_single_prepare(&pf->m, *pos);
	if (v.is_error())
		return v.error().neg();
	usize want = iov_iter_count(to);
	usize n = v.value().len < want ? v.value().len : want;
	if (!n)
		return 0;
	usize done = copy_to_iter(v.value().data, n, to);
	if (!done)
		return -14; // EFAULT
	seq_single_consumed(&pf->m, *pos, done);
	*pos += static_cast<loff_t>(done);
	return static_cast<long>(done);
}

long proc_file_write(file *f, iov_iter *from, loff_t *pos)
{
	auto *pf = static_cast<proc_file *>(f->private_data);
	if (!pf->e->write)
		return pf->pid_file ? -22 : -5; // EINVAL (pid files), EIO (proc_reg_write without one)
	usize n = iov_iter_count(from);
	// Linux's sysctl writes are at most a page; the pid files' buffers are smaller still and
	// their handlers cut the text themselves.
	if (n >= 4096)
		return -22;
	char *buf = static_cast<char *>(kmalloc(n + 1, GFP_KERNEL));
	if (!buf)
		return -12;
	usize got = copy_from_iter(buf, n, from);
	if (got != n) {
		kfree(buf);
		return -14;
	}
	buf[n] = 0;
	long r = pf->e->write(pf->arg, buf, n);
	kfree(buf);
	if (r > 0)
		*pos += r;
	// The next read shows the new value.
	seq_single_reset(&pf->m);
	return r;
}

// Linux's seq_lseek: SEEK_SET and SEEK_CUR to a non-negative offset; the next read
// regenerates (seq_single_prepare sees the position change).
loff_t proc_file_llseek(file *f, loff_t off, int whence)
{
	loff_t np;
	if (whence == SEEK_SET)
		np = off;
	else if (whence == SEEK_CUR)
		np = f->f_pos + off;
	else
		return -22;
	if (np < 0)
		return -22;
	f->f_pos = np;
	seq_single_reset(&static_cast<proc_file *>(f->private_data)->m);
	return np;
}

const inode_operations proc_dir_iops = {.lookup = proc_dir_lookup};
const inode_operations proc_pid_dir_iops = {.lookup = proc_pid_dir_lookup};
const inode_operations proc_link_iops = {.get_link = proc_get_link};
const file_operations proc_dir_fops = {.llseek = default_llseek, .iterate_shared = proc_dir_readdir};
const file_operations proc_pid_dir_fops = {.llseek = default_llseek, .iterate_shared = proc_pid_dir_readdir};
const file_operations proc_file_fops = {
	.llseek = proc_file_llseek,
	.read_iter = proc_file_read,
	.write_iter = proc_file_write,
	.open = proc_file_open,
	.release = proc_file_release,
};

ErrorOr<super_block *> proc_mount(file_system_type *t, unsigned long, const char *)
{
	static int next_dev = 1000; // anonymous device numbers of their own (tmpfs counts from 1)
	auto *sb = static_cast<super_block *>(kmalloc(sizeof(super_block), GFP_KERNEL));
	if (!sb)
		return Errno::ENOMEM;
	new (sb) super_block{};
	INIT_LIST_HEAD(&sb->s_inodes);
	sb->s_type = t;
	sb->s_magic = PROC_SUPER_MAGIC;
	sb->s_op = &proc_sops;
	sb->s_dev = MKDEV(0, static_cast<u32>(__atomic_fetch_add(&next_dev, 1, __ATOMIC_RELAXED)));
	proc_inode ri{};
	ri.kind = pnode::dir;
	auto root = proc_new_inode(sb, S_IFDIR | 0555, ri);
	if (root.is_error()) {
		sb->~super_block();
		kfree(sb);
		return root.error();
	}
	auto d = d_make_root(root.value());
	if (d.is_error()) {
		sb->~super_block();
		kfree(sb);
		return d.error();
	}
	sb->s_root = d.value();
	sb->s_root->d_op = &proc_dentry_ops;
	proc_install_hooks();
	return sb;
}

void proc_kill_sb(super_block *sb)
{
	// Every dentry below the root went at its last dput (always_delete), and a busy mount is
	// never unmounted: only the root is left.
	dput(sb->s_root);
	WARN_ON(!list_empty(&sb->s_inodes));
	sb->~super_block();
	kfree(sb);
}

file_system_type proc_fs_type = {
	.name = "proc",
	.mount = proc_mount,
	.kill_sb = proc_kill_sb,
	.fs_flags = 0,
	.next = nullptr,
};

} // namespace

Result proc_root_init() { return register_filesystem(&proc_fs_type); }
