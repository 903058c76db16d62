// Character devices (Linux's fs/char_dev.c, reduced): a table of registered minor ranges, and
// the open of a device inode, which switches the file to the driver's operations.
#include "core/printk.h"
#include "fs/internal.h"

namespace {
struct char_device_struct {
	u32 major, baseminor, count;
	const char *name;
	const file_operations *fops;
};
constexpr unsigned MAX_CHRDEVS = 32;
SpinLock chrdevs_lock;
char_device_struct chrdevs[MAX_CHRDEVS] TA_GUARDED(chrdevs_lock);
unsigned nr_chrdevs TA_GUARDED(chrdevs_lock);

const file_operations *lookup_chrdev(dev_t dev)
{
	SpinLockGuard g(chrdevs_lock);
	for (unsigned i = 0; i < nr_chrdevs; i++) {
		const char_device_struct &c = chrdevs[i];
		if (c.major == MAJOR(dev) && MINOR(dev) >= c.baseminor && MINOR(dev) < c.baseminor + c.count)
			return c.fops;
	}
	return nullptr;
}

// Linux's chrdev_open: ENXIO when no driver has the device.
int chrdev_open(inode *ino, file *f)
{
	const file_operations *fops = lookup_chrdev(ino->i_rdev);
	if (!fops)
		return -static_cast<int>(Errno::ENXIO);
	f->f_op = fops;
	return fops->open ? fops->open(ino, f) : 0;
}

// A FIFO opened before pipes exist has no implementation: ENXIO, as a device without a driver.
const file_operations *fifo_fops;
int fifo_open_missing(inode *, file *) { return -static_cast<int>(Errno::ENXIO); }
const file_operations no_fifo_fops = {.open = fifo_open_missing};
} // namespace

const file_operations def_chr_fops = {.open = chrdev_open};

void set_fifo_fops(const file_operations *fops) { fifo_fops = fops; }

Result register_chrdev_region(u32 major, u32 baseminor, u32 count, const char *name, const file_operations *fops)
{
	SpinLockGuard g(chrdevs_lock);
	for (unsigned i = 0; i < nr_chrdevs; i++) {
		const char_device_struct &c = chrdevs[i];
		if (c.major == major && baseminor < c.baseminor + c.count && c.baseminor < baseminor + count)
			return Errno::EBUSY;
	}
	if (nr_chrdevs == MAX_CHRDEVS)
		return Errno::ENOMEM;
	chrdevs[nr_chrdevs++] = {major, baseminor, count, name, fops};
	return Result{};
}

void init_special_inode(inode *ino, umode_t mode, dev_t rdev)
{
	ino->i_mode = mode;
	if (S_ISCHR(mode)) {
		ino->i_fop = &def_chr_fops;
		ino->i_rdev = rdev;
	} else if (S_ISBLK(mode)) {
		ino->i_fop = nullptr; // no block devices: open is ENXIO below
		ino->i_rdev = rdev;
	} else if (S_ISFIFO(mode)) {
		ino->i_fop = fifo_fops ? fifo_fops : &no_fifo_fops;
	} else {
		ino->i_fop = nullptr; // sockets: open is ENXIO
	}
}

// The /proc/devices text (Character devices:), for /proc.
void for_each_chrdev(void (*fn)(void *ctx, u32 major, const char *name), void *ctx)
{
	SpinLockGuard g(chrdevs_lock);
	for (unsigned i = 0; i < nr_chrdevs; i++)
		fn(ctx, chrdevs[i].major, chrdevs[i].name);
}
