// The root file system at boot (Linux's init/initramfs.c and init/do_mounts.c, reduced):
// rootfs is a tmpfs; the built-in initramfs and then the loader's are unpacked into it, so a
// loader's archive adds to and overrides the built-in files, as on Linux.
#include "core/printk.h"
#include "fs/internal.h"
#include "fs/proc/proc_fs.h"
#include "kernel/process.h"
#include "kstd/string.h"
#include "lib/cpio.h"
#include "lib/of/of.h"
#include "mm/memory_model.h"
#include "drivers/char/chr_dev.h"
#include "kstd/new.h"
#include "mm/slab.h"

Result mount_root(const char *fstype);
Result vfs_mkdirat(const path &root, const path &start, const char *name, umode_t mode);
Result vfs_mknodat(const path &root, const path &start, const char *name, umode_t mode, dev_t dev);
Result vfs_symlinkat(const path &root, const path &start, const char *name, const char *target);
Result vfs_unlinkat(const path &root, const path &start, const char *name, bool rmdir);
Result vfs_linkat(const path &old, const path &root, const path &start, const char *newname);

namespace {
fs_struct *init_fs_ptr;

// Hard links in the archive: (ino, dev) of an entry with nlink > 1 and the name it got first
// (Linux's maybe_link); a later entry of the same inode becomes a link to it.
struct link_rec {
	u32 ino, major, minor;
	char *name;
};

struct unpacker {
	path root;
	link_rec *links = nullptr;
	usize nr_links = 0, cap_links = 0;
	unsigned files = 0, errors = 0;

	~unpacker()
	{
		for (usize i = 0; i < nr_links; i++)
			kfree(links[i].name);
		kfree(links);
	}

	const char *find_link(const cpio::Entry &e)
	{
		for (usize i = 0; i < nr_links; i++)
			if (links[i].ino == e.ino && links[i].major == e.devmajor && links[i].minor == e.devminor)
				return links[i].name;
		return nullptr;
	}
	void add_link(const cpio::Entry &e, const char *name)
	{
		if (nr_links == cap_links) {
			usize cap = cap_links ? cap_links * 2 : 16;
			auto *n = static_cast<link_rec *>(kmalloc(cap * sizeof(link_rec), GFP_KERNEL));
			if (!n)
				return; // the link is lost, the file itself is not: reported below
			if (links)
				memcpy(n, links, nr_links * sizeof(link_rec));
			kfree(links);
			links = n;
			cap_links = cap;
		}
		usize len = strlen(name) + 1;
		char *copy = static_cast<char *>(kmalloc(len, GFP_KERNEL));
		if (!copy)
			return;
		memcpy(copy, name, len);
		links[nr_links++] = {e.ino, e.devmajor, e.devminor, copy};
	}

	void warn(const char *what, const char *name, Error e)
	{
		errors++;
		pr_warn("initramfs: %s %s: %s\n", what, name, e.name());
	}

	// Linux's do_name/do_copy: replaces what is there (except directories), then writes.
	void entry(const cpio::Entry &e, const char *name)
	{
		umode_t mode = static_cast<umode_t>(e.mode);
		if (e.is_dir()) {
			Result r = vfs_mkdirat(root, root, name, mode & 07777);
			if (r.is_error() && r.error().code() != Errno::EEXIST)
				return warn("mkdir", name, r.error());
			set_attrs(name, e, false);
			return;
		}
		// Anything else replaces an existing non-directory of the same name.
		(void)vfs_unlinkat(root, root, name, false);
		if (e.nlink > 1 && !e.is_symlink()) {
			if (const char *first = find_link(e)) {
				auto old = vfs_path_lookup(root, root, first, 0);
				if (!old.is_error()) {
					Result r = vfs_linkat(old.value(), root, root, name);
					path_put(&old.value());
					if (r.is_error())
						return warn("link", name, r.error());
					if (e.is_reg() && !e.data.empty())
						write_data(name, e);
					return;
				}
			}
			add_link(e, name);
		}
		if (e.is_symlink()) {
			// The target is the data, not NUL-terminated in the archive.
			char *t = static_cast<char *>(kmalloc(e.data.size() + 1, GFP_KERNEL));
			if (!t)
				return warn("symlink", name, Errno::ENOMEM);
			memcpy(t, e.data.data(), e.data.size());
			t[e.data.size()] = '\0';
			Result r = vfs_symlinkat(root, root, name, t);
			kfree(t);
			if (r.is_error())
				return warn("symlink", name, r.error());
			files++;
			return;
		}
		if (e.is_special()) {
			Result r = vfs_mknodat(root, root, name, mode, MKDEV(e.rdevmajor, e.rdevminor));
			if (r.is_error())
				return warn("mknod", name, r.error());
			set_attrs(name, e, true);
			files++;
			return;
		}
		if (!e.is_reg())
			return warn("entry", name, Errno::EINVAL);
		write_data(name, e);
	}

	void write_data(const char *name, const cpio::Entry &e)
	{
		path start = root;
		path_get(&start);
		auto f = vfs_open_at(root, start, name, O_WRONLY | O_CREAT | O_TRUNC, static_cast<umode_t>(e.mode & 07777));
		path_put(&start);
		if (f.is_error())
			return warn("create", name, f.error());
		loff_t pos = 0;
		usize done = 0;
		while (done < e.data.size()) {
			long n = kernel_write(f.value(), e.data.data() + done, e.data.size() - done, &pos);
			if (n <= 0) {
				fput(f.value());
				return warn("write", name, n < 0 ? Error(static_cast<Errno>(-n)) : Error(Errno::EIO));
			}
			done += static_cast<usize>(n);
		}
		fput(f.value());
		set_attrs(name, e, false);
		files++;
	}

	void set_attrs(const char *name, const cpio::Entry &e, bool)
	{
		auto p = vfs_path_lookup(root, root, name, 0);
		if (p.is_error())
			return;
		inode *ino = p.value().dentry->d_inode;
		ino->i_mode = static_cast<umode_t>((ino->i_mode & S_IFMT) | (e.mode & 07777));
		ino->i_uid = e.uid;
		ino->i_gid = e.gid;
		ino->i_mtime = {static_cast<i64>(e.mtime), 0};
		path_put(&p.value());
	}
};

} // namespace

fs_struct *init_fs() { return init_fs_ptr; }

Result unpack_initramfs(const u8 *buf, usize len)
{
	unpacker u;
	vfsmount *m = root_mount();
	u.root = {m, dget(m->mnt_root)};
	cpio::Reader r(kstd::span<const u8>(buf, len));
	cpio::Entry e;
	char *name = static_cast<char *>(kmalloc(cpio::CPIO_NAME_MAX, GFP_KERNEL));
	Result res = Result{};
	if (!name) {
		res = Errno::ENOMEM;
	} else {
		for (;;) {
			auto more = r.next(e);
			if (more.is_error()) {
				res = more.error();
				break;
			}
			if (!more.value())
				break;
			auto n = cpio::normalize_path(e.name, e.name_len, name, cpio::CPIO_NAME_MAX);
			if (n.is_error()) {
				u.warn("name", e.name, n.error());
				continue;
			}
			if (n.value() == 0)
				continue; // "." itself: the root
			u.entry(e, name);
		}
	}
	kfree(name);
	path_put(&u.root);
	if (u.errors)
		pr_warn("initramfs: %u entries could not be unpacked\n", u.errors);
	return res;
}

extern "C" const u8 __initramfs_start[] __attribute__((weak));
extern "C" const u8 __initramfs_end[] __attribute__((weak));
// The loader's initrd (DT linux,initrd-start/end) when it is a newc archive.
static kstd::span<const u8> loader_initrd()
{
	auto rd = of::boot_tree().valid() ? of::boot_tree().initrd() : ErrorOr<of::RegEntry>(Errno::ENOENT);
	if (rd.is_error() || !rd.value().size)
		return {};
	kstd::span<const u8> img(static_cast<const u8 *>(phys_to_virt(PhysAddr(rd.value().address))), rd.value().size);
	if (Result r = cpio::validate(img); r.is_error()) {
		pr_warn("rootfs image is not initramfs (%s); ignored\n", r.error().name());
		return {};
	}
	return img;
}
void console_chrdev_init();

static Result mount_proc()
{
	path root;
	get_fs_root(init_fs(), &root);
	Result mk = vfs_mkdirat(root, root, "proc", 0555);
	if (mk.is_error() && mk.error().code() != Errno::EEXIST) {
		path_put(&root);
		return mk;
	}
	auto p = vfs_path_lookup(root, root, "proc", LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
	path_put(&root);
	if (p.is_error())
		return p.error();
	Result r = do_mount(p.value(), "proc", "proc", 0, nullptr);
	path_put(&p.value());
	return r;
}

Result vfs_init()
{
	TRY(init_tmpfs());
	TRY(mount_root("tmpfs"));
	auto fs = static_cast<fs_struct *>(kmalloc(sizeof(fs_struct), GFP_KERNEL));
	if (!fs)
		return Errno::ENOMEM;
	new (fs) fs_struct{};
	fs->users = 1;
	fs->umask = 0022;
	{
		vfsmount *m = root_mount();
		path root{m, dget(m->mnt_root)};
		SpinLockGuard g(fs->lock);
		fs->root = root;
		fs->pwd = root;
		path_get(&fs->pwd);
	}
	init_fs_ptr = fs;
	path root;
	get_fs_root(fs, &root);
	// Linux's default_rootfs: /dev and /dev/console exist before the archive is unpacked, so
	// init has a console even with an archive that lacks them; /root too.
	(void)vfs_mkdirat(root, root, "dev", 0755);
	(void)vfs_mknodat(root, root, "dev/console", S_IFCHR | 0600, MKDEV(5, 1));
	chr_dev_create_nodes(root); // null, zero, full, random, urandom, kmsg, tty
	(void)vfs_mkdirat(root, root, "root", 0700);
	path_put(&root);
	if (__initramfs_start && __initramfs_end && +__initramfs_end > +__initramfs_start) {
		if (Result r = unpack_initramfs(__initramfs_start, static_cast<usize>(__initramfs_end - __initramfs_start));
		    r.is_error())
			pr_err("Initramfs unpacking failed: %s\n", r.error().name());
	}
	kstd::span<const u8> rd = loader_initrd();
	if (!rd.empty()) {
		if (Result r = unpack_initramfs(rd.data(), rd.size()); r.is_error())
			pr_err("Initramfs unpacking failed: %s\n", r.error().name());
	}
	// /proc (fs/proc): registered here and mounted on /proc, so init finds it as a Linux
	// system's init scripts leave it (an archive's own /proc directory is the mount point).
	if (Result r = proc_root_init(); r.is_error())
		pr_err("proc: cannot register: %s\n", r.error().name());
	else if (Result m = mount_proc(); m.is_error())
		pr_err("proc: cannot mount on /proc: %s\n", m.error().name());
	return Result{};
}
