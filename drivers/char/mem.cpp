// Character devices: Linux's drivers/char/mem.c (null, zero, full, random, urandom, kmsg on
// major 1, opened through one region whose open picks the device by minor, as memory_open)
// and the console tty as a file (drivers/tty/tty_io.c's 5:0 /dev/tty and 5:1 /dev/console over
// kernel/tty.h's one console). See drivers/char/chr_dev.h.
#include "drivers/char/chr_dev.h"

#include <asm/uaccess.h>

#include "core/printk.h"
#include "kernel/printk_internal.h"
#include "kernel/process.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/tty.h"
#include "kernel/wait.h"
#include "kstd/new.h"
#include "kstd/string.h"
#include "mm/gfp.h"
#include "mm/slab.h"

namespace {

constexpr long ENXIO_ = -6, EBADF_ = -9, EAGAIN_ = -11, ENOMEM_ = -12, EFAULT_ = -14, EINVAL_ = -22,
	       ENOSPC_ = -28, ESPIPE_ = -29;
constexpr u32 MEM_MAJOR = 1, TTYAUX_MAJOR = 5;

bool nonblocking(const file *f) { return __atomic_load_n(&f->f_flags, __ATOMIC_RELAXED) & O_NONBLOCK; }

// Writes of /dev/null, /dev/zero, /dev/random: everything is taken (Linux's write_iter_null).
long write_iter_null(file *, iov_iter *from, loff_t *)
{
	usize n = iov_iter_count(from);
	iov_iter_truncate(from, 0);
	return static_cast<long>(n);
}
long read_iter_null(file *, iov_iter *, loff_t *) { return 0; }
// Linux's null_lseek (also /dev/zero's and /dev/full's): the position is always 0.
loff_t null_lseek(file *f, loff_t, int) { return f->f_pos = 0; }
loff_t noop_llseek(file *f, loff_t, int) { return f->f_pos; }

// Zeros into the reader, a page at a time with a signal check between (Linux's read_iter_zero).
long read_iter_zero(file *, iov_iter *to, loff_t *)
{
	static const u8 zeros[512] = {};
	usize written = 0;
	while (iov_iter_count(to)) {
		usize chunk = iov_iter_count(to) < sizeof(zeros) ? iov_iter_count(to) : sizeof(zeros);
		usize n = copy_to_iter(zeros, chunk, to);
		if (n < chunk)
			return written + n ? static_cast<long>(written + n) : EFAULT_;
		written += n;
		if (written % PAGE_SIZE == 0 && signal_pending(current))
			return static_cast<long>(written);
	}
	return static_cast<long>(written);
}

long write_iter_full(file *, iov_iter *, loff_t *) { return ENOSPC_; }

// /dev/random and /dev/urandom (Linux 6.1's get_random_bytes_user: both never block once the
// generator is seeded, which it is from boot here). Stops at a fault, or at a pending signal
// between pages; -EFAULT only when nothing was copied.
long read_iter_random(file *, iov_iter *to, loff_t *)
{
	usize ret = 0;
	for (;;) {
		u64 block[8];
		for (u64 &x : block)
			x = get_random_u64();
		usize want = iov_iter_count(to) < sizeof(block) ? iov_iter_count(to) : sizeof(block);
		usize copied = copy_to_iter(block, want, to);
		memset(block, 0, sizeof(block));
		ret += copied;
		if (!iov_iter_count(to) || copied != want)
			break;
		if (ret % PAGE_SIZE == 0 && signal_pending(current))
			break;
	}
	return ret ? static_cast<long>(ret) : EFAULT_;
}

// Linux's random_poll: readable once seeded (always, here), writable only before.
__poll_t random_poll(file *, poll_table_struct *) { return EPOLLIN | EPOLLRDNORM; }

long random_ioctl(file *, unsigned cmd, unsigned long arg)
{
	// uapi/linux/random.h
	constexpr unsigned RNDGETENTCNT = 0x80045200, RNDADDTOENTCNT = 0x40045201, RNDADDENTROPY = 0x40085203,
			   RNDZAPENTCNT = 0x5204, RNDCLEARPOOL = 0x5206, RNDRESEEDCRNG = 0x5207;
	switch (cmd) {
	case RNDGETENTCNT: {
		int bits = 256; // POOL_BITS: the pool is full once the generator is seeded
		return copy_to_user(reinterpret_cast<void *>(arg), &bits, sizeof(bits)) ? EFAULT_ : 0;
	}
	case RNDADDTOENTCNT: {
		int v;
		return copy_from_user(&v, reinterpret_cast<const void *>(arg), sizeof(v)) ? EFAULT_ : 0;
	}
	case RNDADDENTROPY: {
		int hdr[2]; // entropy_count, buf_size
		if (copy_from_user(hdr, reinterpret_cast<const void *>(arg), sizeof(hdr)))
			return EFAULT_;
		return hdr[0] < 0 || hdr[1] < 0 ? EINVAL_ : 0;
	}
	case RNDZAPENTCNT:
	case RNDCLEARPOOL:
	case RNDRESEEDCRNG:
		return 0; // CAP_SYS_ADMIN, which every caller has
	default:
		return EINVAL_;
	}
}

const file_operations null_fops = {
	.llseek = null_lseek, .read_iter = read_iter_null, .write_iter = write_iter_null,
	.iterate_shared = nullptr, .poll = nullptr, .unlocked_ioctl = nullptr, .mmap = nullptr,
	.open = nullptr, .release = nullptr, .fsync = nullptr,
};
const file_operations zero_fops = {
	.llseek = null_lseek, .read_iter = read_iter_zero, .write_iter = write_iter_null,
	.iterate_shared = nullptr, .poll = nullptr, .unlocked_ioctl = nullptr, .mmap = nullptr,
	.open = nullptr, .release = nullptr, .fsync = nullptr,
};
const file_operations full_fops = {
	.llseek = null_lseek, .read_iter = read_iter_zero, .write_iter = write_iter_full,
	.iterate_shared = nullptr, .poll = nullptr, .unlocked_ioctl = nullptr, .mmap = nullptr,
	.open = nullptr, .release = nullptr, .fsync = nullptr,
};
const file_operations random_fops = {
	.llseek = noop_llseek, .read_iter = read_iter_random, .write_iter = write_iter_null,
	.iterate_shared = nullptr, .poll = random_poll, .unlocked_ioctl = random_ioctl, .mmap = nullptr,
	.open = nullptr, .release = nullptr, .fsync = nullptr,
};

// --- /dev/kmsg (Linux's devkmsg_*) -----------------------------------------------------------

struct devkmsg_user {
	rw_semaphore lock; // one reader of this open file at a time (Linux's user->lock)
	kmsg_cursor cursor TA_GUARDED(lock);
	// One formatted record: a 1024-byte line escaped to at most 4 bytes a character.
	char buf[4200] TA_GUARDED(lock);
};

int devkmsg_open(inode *, file *f)
{
	// A writer needs no reader state (Linux's devkmsg_open).
	if ((f->f_flags & O_ACCMODE) == O_WRONLY)
		return 0;
	void *mem = kmalloc(sizeof(devkmsg_user), GFP_KERNEL);
	if (!mem)
		return static_cast<int>(ENOMEM_);
	auto *u = new (mem) devkmsg_user;
	{
		WriteGuard g(u->lock);
		kmsg_cursor_first(&u->cursor);
	}
	f->private_data = u;
	return 0;
}

void devkmsg_release(inode *, file *f)
{
	auto *u = static_cast<devkmsg_user *>(f->private_data);
	if (!u)
		return;
	u->~devkmsg_user();
	kfree(u);
}

// One record per read: EINVAL when it does not fit (the record is consumed, as Linux's),
// EPIPE once when records were lost under the reader, EAGAIN with O_NONBLOCK.
long devkmsg_read(file *f, iov_iter *to, loff_t *)
{
	auto *u = static_cast<devkmsg_user *>(f->private_data);
	if (!u)
		return EBADF_;
	u->lock.down_write();
	long len;
	for (;;) {
		len = kmsg_read_record(&u->cursor, u->buf, sizeof(u->buf));
		if (len != EAGAIN_)
			break;
		if (nonblocking(f))
			break;
		u->lock.up_write();
		long r = wait_event_interruptible(*kmsg_wait_queue(), kmsg_poll_state(&u->cursor) != 0);
		if (r)
			return r;
		u->lock.down_write();
	}
	if (len >= 0) {
		if (static_cast<usize>(len) > iov_iter_count(to))
			len = EINVAL_;
		else if (copy_to_iter(u->buf, static_cast<usize>(len), to) != static_cast<usize>(len))
			len = EFAULT_;
	}
	u->lock.up_write();
	return len;
}

long devkmsg_write(file *, iov_iter *from, loff_t *)
{
	constexpr usize LOG_LINE_MAX = 1024 - 32; // CONSOLE_LOG_MAX - PREFIX_MAX
	usize len = iov_iter_count(from);
	if (len > LOG_LINE_MAX)
		return EINVAL_;
	char buf[LOG_LINE_MAX + 1];
	if (copy_from_iter(buf, len, from) != len)
		return EFAULT_;
	buf[len] = 0;
	// The syslog prefix "<N>": level in the low 3 bits, the facility above; without one (or
	// with facility 0, the kernel's) the record is LOG_USER's, so that user messages are
	// told from the kernel's.
	int level = MESSAGE_LOGLEVEL_DEFAULT, facility = 1;
	const char *line = buf;
	if (line[0] == '<') {
		const char *p = line + 1;
		unsigned long v = 0;
		while (*p >= '0' && *p <= '9')
			v = v * 10 + static_cast<unsigned long>(*p++ - '0');
		if (*p == '>') {
			u32 u = static_cast<u32>(v);
			level = static_cast<int>(u & 7);
			if (u >> 3)
				facility = static_cast<int>(u >> 3);
			line = p + 1;
		}
	}
	usize n = strlen(line);
	// Linux's printk stores the text up to a trailing newline.
	if (n && line[n - 1] == '\n')
		n--;
	// Facilities above 23 do not fit the record's prio byte here (Linux keeps 8 bits: 31).
	if (facility > 23)
		facility = 23;
	printk_user_record(facility << 3 | level, line, n);
	return static_cast<long>(len);
}

__poll_t devkmsg_poll(file *f, poll_table_struct *pt)
{
	auto *u = static_cast<devkmsg_user *>(f->private_data);
	if (!u)
		return EPOLLERR | EPOLLNVAL;
	poll_wait(f, kmsg_wait_queue(), pt);
	kmsg_cursor c;
	{
		WriteGuard g(u->lock);
		c = u->cursor;
	}
	switch (kmsg_poll_state(&c)) {
	case 1:
		return EPOLLIN | EPOLLRDNORM;
	case 2: // records vanished under the reader
		return EPOLLIN | EPOLLRDNORM | EPOLLERR | EPOLLPRI;
	default:
		return 0;
	}
}

loff_t devkmsg_llseek(file *f, loff_t offset, int whence)
{
	auto *u = static_cast<devkmsg_user *>(f->private_data);
	if (!u)
		return EBADF_;
	if (offset)
		return ESPIPE_;
	WriteGuard g(u->lock);
	switch (whence) {
	case SEEK_SET:
		kmsg_cursor_first(&u->cursor);
		return 0;
	case SEEK_DATA: // the first record after syslog's SYSLOG_ACTION_CLEAR
		kmsg_cursor_clear(&u->cursor);
		return 0;
	case SEEK_END:
		kmsg_cursor_end(&u->cursor);
		return 0;
	default:
		return EINVAL_;
	}
}

const file_operations kmsg_fops = {
	.llseek = devkmsg_llseek, .read_iter = devkmsg_read, .write_iter = devkmsg_write,
	.iterate_shared = nullptr, .poll = devkmsg_poll, .unlocked_ioctl = nullptr, .mmap = nullptr,
	.open = devkmsg_open, .release = devkmsg_release, .fsync = nullptr,
};

// Major 1 (Linux's memory_open): the device by minor; ENXIO for the ones not built (mem, kmem,
// port).
int memory_open(inode *ino, file *f)
{
	const file_operations *fops;
	switch (MINOR(ino->i_rdev)) {
	case 3:
		fops = &null_fops;
		break;
	case 5:
		fops = &zero_fops;
		break;
	case 7:
		fops = &full_fops;
		break;
	case 8:
	case 9:
		fops = &random_fops;
		break;
	case 11:
		fops = &kmsg_fops;
		break;
	default:
		return static_cast<int>(ENXIO_);
	}
	f->f_op = fops;
	return fops->open ? fops->open(ino, f) : 0;
}

const file_operations memory_fops = {
	.llseek = nullptr, .read_iter = nullptr, .write_iter = nullptr,
	.iterate_shared = nullptr, .poll = nullptr, .unlocked_ioctl = nullptr, .mmap = nullptr,
	.open = memory_open, .release = nullptr, .fsync = nullptr,
};

// --- the console tty as a file -----------------------------------------------------------------

long copy_to_iter_fn(void *ctx, const u8 *buf, usize n)
{
	return copy_to_iter(buf, n, static_cast<iov_iter *>(ctx)) == n ? 0 : EFAULT_;
}

long tty_file_read(file *f, iov_iter *to, loff_t *)
{
	usize len = iov_iter_count(to);
	if (!len)
		return 0;
	return tty_read(copy_to_iter_fn, to, len, nonblocking(f), false);
}

// Linux's iterate_tty_write: chunks of 2048 bytes; a chunk that cannot be copied whole ends
// the write (what earlier chunks wrote, or -EFAULT for the first: nothing of it is printed).
long tty_file_write(file *, iov_iter *from, loff_t *)
{
	constexpr usize TTY_CHUNK = 2048;
	char *buf = static_cast<char *>(kmalloc(TTY_CHUNK, GFP_KERNEL));
	if (!buf)
		return ENOMEM_;
	usize done = 0;
	long ret = 0;
	while (iov_iter_count(from)) {
		usize chunk = iov_iter_count(from) < TTY_CHUNK ? iov_iter_count(from) : TTY_CHUNK;
		if (copy_from_iter(buf, chunk, from) != chunk) {
			ret = EFAULT_;
			break;
		}
		long w = user_console_put(buf, chunk);
		if (w < 0) {
			ret = w;
			break;
		}
		done += static_cast<usize>(w);
		if (static_cast<usize>(w) < chunk)
			break;
	}
	kfree(buf);
	return done ? static_cast<long>(done) : ret;
}

__poll_t tty_file_poll(file *f, poll_table_struct *pt)
{
	poll_wait(f, tty_poll_queue(), pt);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;
	if (tty_input_ready())
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

long tty_file_ioctl(file *f, unsigned cmd, unsigned long arg)
{
	constexpr unsigned FIONBIO = 0x5421;
	if (cmd == FIONBIO) {
		// The open file's flag (Linux's ioctl_fionbio), not the console's shared one.
		int on;
		if (copy_from_user(&on, reinterpret_cast<const void *>(arg), sizeof(on)))
			return EFAULT_;
		if (on)
			__atomic_fetch_or(&f->f_flags, O_NONBLOCK, __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&f->f_flags, ~O_NONBLOCK, __ATOMIC_RELAXED);
		return 0;
	}
	return tty_ioctl(cmd, arg);
}

loff_t tty_file_llseek(file *, loff_t, int) { return ESPIPE_; }

int tty_file_open(inode *, file *f)
{
	f->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS);
	f->f_mode |= FMODE_STREAM;
	return 0;
}

// /dev/tty: the caller's controlling tty, which can only be the console (ENXIO without one).
int dev_tty_open(inode *ino, file *f)
{
	if (!tty_is_ctty(current))
		return static_cast<int>(ENXIO_);
	f->f_op = &console_fops;
	return tty_file_open(ino, f);
}

const file_operations dev_tty_fops = {
	.llseek = nullptr, .read_iter = nullptr, .write_iter = nullptr,
	.iterate_shared = nullptr, .poll = nullptr, .unlocked_ioctl = nullptr, .mmap = nullptr,
	.open = dev_tty_open, .release = nullptr, .fsync = nullptr,
};

} // namespace

const file_operations console_fops = {
	.llseek = tty_file_llseek, .read_iter = tty_file_read, .write_iter = tty_file_write,
	.iterate_shared = nullptr, .poll = tty_file_poll, .unlocked_ioctl = tty_file_ioctl, .mmap = nullptr,
	.open = tty_file_open, .release = nullptr, .fsync = nullptr,
};

// Linux's devtmpfs nodes for these devices (names and modes as a Debian 6.1 /dev shows them).
const chr_dev_node chr_dev_nodes[] = {
	{"null", 0666, MEM_MAJOR, 3},  {"zero", 0666, MEM_MAJOR, 5},    {"full", 0666, MEM_MAJOR, 7},
	{"random", 0666, MEM_MAJOR, 8}, {"urandom", 0666, MEM_MAJOR, 9}, {"kmsg", 0644, MEM_MAJOR, 11},
	{"tty", 0666, TTYAUX_MAJOR, 0}, {"console", 0600, TTYAUX_MAJOR, 1},
};
const unsigned nr_chr_dev_nodes = sizeof(chr_dev_nodes) / sizeof(chr_dev_nodes[0]);

Result chr_dev_init()
{
	// Linux's chr_dev_init registers all 256 minors of "mem"; tty_init the two aux ones.
	Result r = register_chrdev_region(MEM_MAJOR, 0, 256, "mem", &memory_fops);
	if (!r.is_error())
		r = register_chrdev_region(TTYAUX_MAJOR, 0, 1, "/dev/tty", &dev_tty_fops);
	if (!r.is_error())
		r = register_chrdev_region(TTYAUX_MAJOR, 1, 1, "/dev/console", &console_fops);
	// The UART's own node reaches the one console tty too (Linux's ttyAMA, 204:64).
	if (!r.is_error())
		r = register_chrdev_region(204, 64, 1, "ttyAMA", &console_fops);
	if (r.is_error())
		pr_err("chr_dev_init: registering the character devices failed: %s\n", r.error().name());
	return r;
}

void console_chrdev_init() { (void)chr_dev_init(); }
