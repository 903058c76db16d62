// Character devices (Linux's fs/char_dev.c) and special inodes (init_special_inode).
//
// A device inode's i_fop is def_chr_fops, whose open finds the driver registered for i_rdev
// and switches the file to the driver's operations (Linux's chrdev_open and replace_fops):
// so a /dev node on tmpfs, created by mknod, reaches the driver. Regions are registered at
// boot and never removed, so a lookup holds the lock only for the search.
#include "drivers/char/chr_dev.h"

#include "core/printk.h"
#include "core/spinlock.h"
#include "fs/fs.h"
#include "fs/pipe.h"
#include "lib/format.h"

Result vfs_mknodat(const path &root, const path &start, const char *name, umode_t mode, dev_t dev);

namespace {

constexpr int ENXIO_ = -6;

struct char_device_struct {
	u32 major, baseminor, count;
	const char *name;
	const file_operations *fops;
};

// Linux's chrdevs hash, reduced to a table: a few drivers register here.
constexpr unsigned MAX_CHRDEV_REGIONS = 32;
SpinLock chrdevs_lock;
char_device_struct chrdevs[MAX_CHRDEV_REGIONS] TA_GUARDED(chrdevs_lock);
unsigned nr_chrdevs TA_GUARDED(chrdevs_lock);

bool overlaps(const char_device_struct &c, u32 major, u32 baseminor, u32 count)
{
	return c.major == major && baseminor < c.baseminor + c.count && c.baseminor < baseminor + count;
}

const file_operations *lookup_chrdev(dev_t dev)
{
	SpinLockGuard g(chrdevs_lock);
	for (unsigned i = 0; i < nr_chrdevs; i++)
		if (overlaps(chrdevs[i], MAJOR(dev), MINOR(dev), 1))
			return chrdevs[i].fops;
	return nullptr;
}

// Linux's chrdev_open: ENXIO when no driver has the number.
int chrdev_open(inode *ino, file *f)
{
	const file_operations *fops = lookup_chrdev(ino->i_rdev);
	if (!fops)
		return ENXIO_;
	f->f_op = fops;
	return fops->open ? fops->open(ino, f) : 0;
}

const file_operations def_chr_fops = {
	.llseek = nullptr,
	.read_iter = nullptr,
	.write_iter = nullptr,
	.iterate_shared = nullptr,
	.poll = nullptr,
	.unlocked_ioctl = nullptr,
	.mmap = nullptr,
	.open = chrdev_open,
	.release = nullptr,
	.fsync = nullptr,
};

// Block devices (there are none: Linux's blkdev_open finds no disk) and sockets (Linux's
// no_open_fops) cannot be opened.
int no_open(inode *, file *) { return ENXIO_; }
const file_operations no_open_fops = {
	.llseek = nullptr,
	.read_iter = nullptr,
	.write_iter = nullptr,
	.iterate_shared = nullptr,
	.poll = nullptr,
	.unlocked_ioctl = nullptr,
	.mmap = nullptr,
	.open = no_open,
	.release = nullptr,
	.fsync = nullptr,
};

} // namespace

Result register_chrdev_region(u32 major, u32 baseminor, u32 count, const char *name, const file_operations *fops)
{
	if (!count || major >= (1u << (32 - MINORBITS)) || baseminor + count > (1u << MINORBITS) ||
	    baseminor + count < baseminor)
		return Errno::EINVAL;
	SpinLockGuard g(chrdevs_lock);
	for (unsigned i = 0; i < nr_chrdevs; i++)
		if (overlaps(chrdevs[i], major, baseminor, count))
			return Errno::EBUSY;
	if (nr_chrdevs == MAX_CHRDEV_REGIONS)
		return Errno::EBUSY; // Linux's chrdevs are unbounded; a fixed table says so here
	// Sorted by major then minor, for /proc/devices.
	unsigned pos = nr_chrdevs;
	while (pos > 0 && (chrdevs[pos - 1].major > major ||
			   (chrdevs[pos - 1].major == major && chrdevs[pos - 1].baseminor > baseminor))) {
		chrdevs[pos] = chrdevs[pos - 1];
		pos--;
	}
	chrdevs[pos] = {major, baseminor, count, name, fops};
	nr_chrdevs++;
	return {};
}

void for_each_chrdev(void (*fn)(void *ctx, u32 major, const char *name), void *ctx)
{
	// Copied out first: fn may print (and sleep) while the table stays unchanged anyway.
	char_device_struct copy[MAX_CHRDEV_REGIONS];
	unsigned n;
	{
		SpinLockGuard g(chrdevs_lock);
		n = nr_chrdevs;
		for (unsigned i = 0; i < n; i++)
			copy[i] = chrdevs[i];
	}
	for (unsigned i = 0; i < n; i++)
		fn(ctx, copy[i].major, copy[i].name);
}

void init_special_inode(inode *ino, umode_t mode, dev_t rdev)
{
	ino->i_mode = mode;
	if (S_ISCHR(mode)) {
		ino->i_fop = &def_chr_fops;
		ino->i_rdev = rdev;
	} else if (S_ISBLK(mode)) {
		ino->i_fop = &no_open_fops;
		ino->i_rdev = rdev;
	} else if (S_ISFIFO(mode)) {
		ino->i_fop = &pipefifo_fops;
	} else if (S_ISSOCK(mode)) {
		ino->i_fop = &no_open_fops;
	} else {
		printk(KERN_DEBUG "init_special_inode: bogus i_mode (%o) for inode %lu\n", mode,
		       static_cast<unsigned long>(ino->i_ino));
	}
}

void chr_dev_create_nodes(const path &root)
{
	for (unsigned i = 0; i < nr_chr_dev_nodes; i++) {
		const chr_dev_node &n = chr_dev_nodes[i];
		char name[40];
		kstd::scnprintf(name, sizeof(name), "dev/%s", n.name);
		Result r = vfs_mknodat(root, root, name, S_IFCHR | n.mode, MKDEV(n.major, n.minor));
		if (r.is_error() && r.error().code() != Errno::EEXIST)
			pr_warn("devtmpfs: cannot create /%s: %s\n", name, r.error().name());
	}
}
