// Pipes and FIFOs: see fs/pipe.h. Linux 6.1's fs/pipe.c is the reference for every rule
// (wake-ups, EPIPE/SIGPIPE, packet mode, FIFO open waits).
#include "fs/pipe.h"

#include <asm/uaccess.h>
#include "kstd/new.h"

#include "core/printk.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "mm/gfp.h"
#include "mm/page_alloc.h"
#include "mm/slab.h"

namespace {

constexpr long ENXIO_ = -6, EBADF_ = -9, EAGAIN_ = -11, ENOMEM_ = -12, EFAULT_ = -14, EBUSY_ = -16,
	       EINVAL_ = -22, ENOTTY_ = -25, ESPIPE_ = -29, EPIPE_ = -32;
constexpr unsigned FIONREAD = 0x541B;
constexpr u64 PIPEFS_MAGIC = 0x50495045;

long live_pipes; // atomic

// Linux's inode->i_lock for i_pipe and pipe->files: a FIFO's pipe is attached by its first
// open and detached by its last release, racing with other opens of the same inode.
SpinLock pipe_files_lock;

// pipefs: the super block of pipe2's pseudo inodes (Linux mounts it internally as pipe_mnt).
// Its inodes are never in a directory; the pipe itself goes with the last file, before iput.
const super_operations pipefs_ops = {nullptr, PIPEFS_MAGIC};
struct PipeFs {
	super_block sb{};
	PipeFs()
	{
		INIT_LIST_HEAD(&sb.s_inodes);
		sb.s_magic = PIPEFS_MAGIC;
		sb.s_op = &pipefs_ops;
		// Linux's pipefs has an anonymous device (0:N from get_anon_bdev); 0:12 is what a
		// pipe's fstat shows on Debian's 6.1 (ktest_pipe logs it on both kernels).
		sb.s_dev = MKDEV(0, 12);
	}
};
PipeFs pipefs;

bool pipe_empty(unsigned head, unsigned tail) { return head == tail; }
unsigned pipe_occupancy(unsigned head, unsigned tail) { return head - tail; }
bool pipe_full(unsigned head, unsigned tail, unsigned limit) { return pipe_occupancy(head, tail) >= limit; }

// poll and the wait conditions read these without the mutex (Linux's READ_ONCE).
unsigned ld(const unsigned &v) TA_NO_THREAD_SAFETY_ANALYSIS { return __atomic_load_n(&v, __ATOMIC_ACQUIRE); }
void st(unsigned &v, unsigned x) { __atomic_store_n(&v, x, __ATOMIC_RELEASE); }

bool pipe_readable(pipe_inode_info *p) TA_NO_THREAD_SAFETY_ANALYSIS
{
	return !pipe_empty(ld(p->head), ld(p->tail)) || !ld(p->writers);
}
bool pipe_writable(pipe_inode_info *p) TA_NO_THREAD_SAFETY_ANALYSIS
{
	return !pipe_full(ld(p->head), ld(p->tail), ld(p->max_usage)) || !ld(p->readers);
}

void pipe_lock(pipe_inode_info *p) TA_ACQ(p->mutex) { p->mutex.down_write(); }
void pipe_unlock(pipe_inode_info *p) TA_REL(p->mutex) { p->mutex.up_write(); }

pipe_inode_info *alloc_pipe_info()
{
	void *mem = kmalloc(sizeof(pipe_inode_info), GFP_KERNEL_ACCOUNT);
	if (!mem)
		return nullptr;
	auto *p = new (mem) pipe_inode_info;
	auto *bufs = static_cast<pipe_buffer *>(kcalloc(PIPE_DEF_BUFFERS, sizeof(pipe_buffer), GFP_KERNEL_ACCOUNT));
	if (!bufs) {
		p->~pipe_inode_info();
		kfree(mem);
		return nullptr;
	}
	pipe_lock(p);
	p->bufs = bufs;
	p->ring_size = p->max_usage = PIPE_DEF_BUFFERS;
	pipe_unlock(p);
	__atomic_add_fetch(&live_pipes, 1, __ATOMIC_RELAXED);
	return p;
}

// Nobody else can reach p any more (its last file is gone).
void free_pipe_info(pipe_inode_info *p) TA_NO_THREAD_SAFETY_ANALYSIS
{
	for (unsigned i = 0; i < p->ring_size; i++)
		if (p->bufs[i].pg)
			__free_page(p->bufs[i].pg);
	if (p->tmp_page)
		__free_page(p->tmp_page);
	kfree(p->bufs);
	p->~pipe_inode_info();
	kfree(p);
	__atomic_sub_fetch(&live_pipes, 1, __ATOMIC_RELAXED);
}

// A consumed buffer's page: kept as tmp_page for the next write when there is none yet
// (Linux's anon_pipe_buf_release), else freed.
void release_buf(pipe_inode_info *p, pipe_buffer *b) TA_REQ(p->mutex)
{
	if (!p->tmp_page)
		p->tmp_page = b->pg;
	else
		__free_page(b->pg);
	b->pg = nullptr;
	b->len = b->offset = 0;
}

void put_pipe_info(inode *ino, pipe_inode_info *p)
{
	bool kill = false;
	{
		SpinLockGuard g(pipe_files_lock);
		if (!--p->files) {
			ino->i_pipe = nullptr;
			kill = true;
		}
	}
	if (kill)
		free_pipe_info(p);
}

bool is_packetized(const file *f) { return __atomic_load_n(&f->f_flags, __ATOMIC_RELAXED) & O_DIRECT; }
bool nonblocking(const file *f) { return __atomic_load_n(&f->f_flags, __ATOMIC_RELAXED) & O_NONBLOCK; }

long pipe_read(file *f, iov_iter *to, loff_t *)
{
	usize total_len = iov_iter_count(to);
	if (!total_len)
		return 0;
	pipe_inode_info *p = static_cast<pipe_inode_info *>(f->private_data);
	long ret = 0;
	bool wake_next_reader = false;
	pipe_lock(p);
	// A reader that empties a full pipe wakes writers once, as it leaves (Linux's was_full).
	bool was_full = pipe_full(p->head, p->tail, p->max_usage);
	for (;;) {
		unsigned head = p->head, tail = p->tail, mask = p->ring_size - 1;
		if (!pipe_empty(head, tail)) {
			pipe_buffer *b = &p->bufs[tail & mask];
			usize chars = b->len;
			if (chars > total_len)
				chars = total_len; // of a packet, the rest is dropped below
			usize written = copy_page_to_iter(b->pg, b->offset, chars, to);
			if (written < chars) {
				if (!ret)
					ret = EFAULT_;
				break;
			}
			ret += static_cast<long>(chars);
			b->offset += static_cast<unsigned>(chars);
			b->len -= static_cast<unsigned>(chars);
			// A packet is read whole or the rest of it dropped; one read, one packet.
			if (b->flags & PIPE_BUF_FLAG_PACKET) {
				total_len = chars;
				b->len = 0;
			}
			if (!b->len) {
				release_buf(p, b);
				tail++;
				st(p->tail, tail);
			}
			total_len -= chars;
			if (!total_len)
				break;
			if (!pipe_empty(head, tail))
				continue;
		}
		if (!p->writers)
			break;
		if (ret)
			break;
		if (nonblocking(f)) {
			ret = EAGAIN_;
			break;
		}
		pipe_unlock(p);
		if (was_full)
			wake_up(&p->wr_wait);
		if (wait_event_interruptible(p->rd_wait, pipe_readable(p)) < 0)
			return -ERESTARTSYS;
		pipe_lock(p);
		was_full = pipe_full(p->head, p->tail, p->max_usage);
		wake_next_reader = true;
	}
	if (pipe_empty(p->head, p->tail))
		wake_next_reader = false;
	pipe_unlock(p);
	if (was_full)
		wake_up(&p->wr_wait);
	if (wake_next_reader)
		wake_up(&p->rd_wait);
	return ret;
}

long pipe_write(file *f, iov_iter *from, loff_t *)
{
	pipe_inode_info *p = static_cast<pipe_inode_info *>(f->private_data);
	usize total_len = iov_iter_count(from);
	long ret = 0;
	bool was_empty = false, wake_next_writer = false;
	pipe_lock(p);
	if (!p->readers) {
		pipe_unlock(p);
		(void)send_sig(SIGPIPE, current, false);
		return EPIPE_;
	}
	if (!total_len) {
		pipe_unlock(p);
		return 0;
	}
	{
		// Merge the tail of a write smaller than a page into the last buffer when it fits
		// whole (Linux: only buffers marked CAN_MERGE, never packets).
		unsigned head = p->head, mask = p->ring_size - 1;
		was_empty = pipe_empty(head, p->tail);
		usize chars = total_len & (PAGE_SIZE - 1);
		if (chars && !was_empty) {
			pipe_buffer *b = &p->bufs[(head - 1) & mask];
			usize offset = b->offset + b->len;
			if ((b->flags & PIPE_BUF_FLAG_CAN_MERGE) && offset + chars <= PAGE_SIZE) {
				usize copied = copy_page_from_iter(b->pg, offset, chars, from);
				if (copied < chars) {
					ret = EFAULT_;
					goto out;
				}
				ret = static_cast<long>(copied);
				b->len += static_cast<unsigned>(copied);
				if (!iov_iter_count(from))
					goto out;
			}
		}
	}
	for (;;) {
		if (!p->readers) {
			(void)send_sig(SIGPIPE, current, false);
			if (!ret)
				ret = EPIPE_;
			break;
		}
		unsigned head = p->head;
		if (!pipe_full(head, p->tail, p->max_usage)) {
			unsigned mask = p->ring_size - 1;
			page *pg = p->tmp_page;
			if (!pg) {
				pg = alloc_page(GFP_HIGHUSER | __GFP_ACCOUNT);
				if (!pg) {
					if (!ret)
						ret = ENOMEM_;
					break;
				}
				p->tmp_page = pg;
			}
			// The slot is published only once filled: a fault leaves the page as
			// tmp_page and nothing of this chunk visible (Linux publishes an empty
			// buffer first and leaves it behind; readers skip it).
			pipe_buffer *b = &p->bufs[head & mask];
			usize copied = copy_page_from_iter(pg, 0, PAGE_SIZE, from);
			if (copied < PAGE_SIZE && iov_iter_count(from)) {
				if (!ret)
					ret = EFAULT_;
				break; // the page stays tmp_page: nothing of this chunk is visible
			}
			p->tmp_page = nullptr;
			b->pg = pg;
			b->offset = 0;
			b->len = static_cast<unsigned>(copied);
			b->flags = is_packetized(f) ? PIPE_BUF_FLAG_PACKET : PIPE_BUF_FLAG_CAN_MERGE;
			st(p->head, head + 1);
			ret += static_cast<long>(copied);
			if (!iov_iter_count(from))
				break;
		}
		if (!pipe_full(p->head, p->tail, p->max_usage))
			continue;
		if (nonblocking(f)) {
			if (!ret)
				ret = EAGAIN_;
			break;
		}
		if (signal_pending(current)) {
			if (!ret)
				ret = -ERESTARTSYS;
			break;
		}
		pipe_unlock(p);
		if (was_empty)
			wake_up(&p->rd_wait);
		(void)wait_event_interruptible(p->wr_wait, pipe_writable(p));
		pipe_lock(p);
		was_empty = pipe_empty(p->head, p->tail);
		wake_next_writer = true;
	}
out:
	if (pipe_full(p->head, p->tail, p->max_usage))
		wake_next_writer = false;
	pipe_unlock(p);
	// Readers are woken when the pipe was empty; with a poller, on every write (an
	// edge-triggered poller needs each one, Linux's poll_usage).
	if (was_empty || __atomic_load_n(&p->poll_usage, __ATOMIC_RELAXED))
		wake_up(&p->rd_wait);
	if (wake_next_writer)
		wake_up(&p->wr_wait);
	if (ret > 0) {
		inode *ino = f->f_inode;
		ino->i_mtime = ino->i_ctime = current_time();
	}
	return ret;
}

__poll_t pipe_poll(file *f, poll_table_struct *pt) TA_NO_THREAD_SAFETY_ANALYSIS
{
	pipe_inode_info *p = static_cast<pipe_inode_info *>(f->private_data);
	__atomic_store_n(&p->poll_usage, true, __ATOMIC_RELAXED);
	// Both queues: a reader also waits for writers to go (EPOLLHUP), a writer for readers.
	poll_wait(f, &p->rd_wait, pt);
	poll_wait(f, &p->wr_wait, pt);
	unsigned head = ld(p->head), tail = ld(p->tail);
	__poll_t mask = 0;
	if (f->f_mode & FMODE_READ) {
		if (!pipe_empty(head, tail))
			mask |= EPOLLIN | EPOLLRDNORM;
		// A FIFO reader that opened before any writer came has f_version == w_counter:
		// no hang-up until a writer came and went (Linux's pipe_poll).
		if (!ld(p->writers) && f->f_version != ld(p->w_counter))
			mask |= EPOLLHUP;
	}
	if (f->f_mode & FMODE_WRITE) {
		if (!pipe_full(head, tail, ld(p->max_usage)))
			mask |= EPOLLOUT | EPOLLWRNORM;
		if (!ld(p->readers))
			mask |= EPOLLERR;
	}
	return mask;
}

void pipe_release(inode *ino, file *f)
{
	pipe_inode_info *p = static_cast<pipe_inode_info *>(f->private_data);
	pipe_lock(p);
	if (f->f_mode & FMODE_READ)
		p->readers--;
	if (f->f_mode & FMODE_WRITE)
		p->writers--;
	// The last reader or writer went while the other side stays: it sees EOF or EPIPE.
	bool wake = !p->readers != !p->writers;
	pipe_unlock(p);
	if (wake) {
		wake_up(&p->rd_wait);
		wake_up(&p->wr_wait);
	}
	put_pipe_info(ino, p);
}

long pipe_ioctl(file *f, unsigned cmd, unsigned long arg)
{
	if (cmd != FIONREAD)
		return ENOTTY_; // Linux's -ENOIOCTLCMD, which vfs_ioctl turns into ENOTTY
	pipe_inode_info *p = static_cast<pipe_inode_info *>(f->private_data);
	int count = 0;
	pipe_lock(p);
	unsigned mask = p->ring_size - 1;
	for (unsigned i = p->tail; i != p->head; i++)
		count += static_cast<int>(p->bufs[i & mask].len);
	pipe_unlock(p);
	return copy_to_user(reinterpret_cast<void *>(arg), &count, sizeof(count)) ? EFAULT_ : 0;
}

loff_t pipe_llseek(file *, loff_t, int) { return ESPIPE_; }

// FIFO open (Linux's fifo_open): attaches the inode's pipe (the first open creates it), then
// waits for the other side as POSIX says: a reader until a writer came, a writer until a
// reader came (O_NONBLOCK: a reader does not wait, a writer fails with ENXIO).
int wait_for_partner(pipe_inode_info *p, unsigned *cnt) TA_REQ(p->mutex)
{
	unsigned cur = *cnt;
	while (cur == ld(*cnt)) {
		pipe_unlock(p);
		long r = wait_event_interruptible(p->rd_wait, cur != ld(*cnt));
		pipe_lock(p);
		if (r < 0)
			break;
	}
	return cur == *cnt ? -ERESTARTSYS : 0;
}
void wake_up_partner(pipe_inode_info *p) { wake_up(&p->rd_wait); }

int fifo_open(inode *ino, file *f)
{
	pipe_inode_info *p;
	{
		SpinLockGuard g(pipe_files_lock);
		p = ino->i_pipe;
		if (p)
			p->files++;
	}
	if (!p) {
		pipe_inode_info *np = alloc_pipe_info();
		if (!np)
			return static_cast<int>(ENOMEM_);
		bool used = false;
		{
			SpinLockGuard g(pipe_files_lock);
			p = ino->i_pipe;
			if (p) {
				p->files++; // another open attached one meanwhile
			} else {
				np->files = 1;
				ino->i_pipe = p = np;
				used = true;
			}
		}
		if (!used)
			free_pipe_info(np);
	}
	f->private_data = p;
	f->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE | FMODE_ATOMIC_POS);
	f->f_mode |= FMODE_STREAM;
	int ret = 0;
	pipe_lock(p);
	switch (f->f_mode & (FMODE_READ | FMODE_WRITE)) {
	case FMODE_READ:
		p->r_counter++;
		if (p->readers++ == 0)
			wake_up_partner(p);
		if (!p->writers) {
			if (nonblocking(f))
				f->f_version = p->w_counter; // suppress EPOLLHUP until a writer came
			else if (wait_for_partner(p, &p->w_counter))
				ret = -ERESTARTSYS;
		}
		if (ret)
			p->readers--;
		break;
	case FMODE_WRITE:
		if (nonblocking(f) && !p->readers) {
			ret = static_cast<int>(ENXIO_);
			break;
		}
		p->w_counter++;
		if (!p->writers++)
			wake_up_partner(p);
		if (!p->readers && wait_for_partner(p, &p->r_counter))
			ret = -ERESTARTSYS;
		if (ret)
			p->writers--;
		break;
	case FMODE_READ | FMODE_WRITE:
		// POSIX leaves it undefined; Linux opens without waiting.
		p->readers++;
		p->writers++;
		p->r_counter++;
		p->w_counter++;
		if (p->readers == 1 || p->writers == 1)
			wake_up_partner(p);
		break;
	default:
		ret = EINVAL_;
	}
	bool wake = ret && (!p->readers != !p->writers);
	pipe_unlock(p);
	if (wake)
		wake_up(&p->wr_wait);
	if (ret)
		put_pipe_info(ino, p);
	return ret;
}

} // namespace

const file_operations pipefifo_fops = {
	.llseek = pipe_llseek,
	.read_iter = pipe_read,
	.write_iter = pipe_write,
	.iterate_shared = nullptr,
	.poll = pipe_poll,
	.unlocked_ioctl = pipe_ioctl,
	.mmap = nullptr,
	.open = fifo_open,
	.release = pipe_release,
	.fsync = nullptr,
};

usize pipe_dname(const inode *ino, char *buf, usize size)
{
	if (ino->i_sb != &pipefs.sb)
		return 0;
	return static_cast<usize>(kstd::scnprintf(buf, size, "pipe:[%lu]", static_cast<unsigned long>(ino->i_ino)));
}

long pipe_live_count() { return __atomic_load_n(&live_pipes, __ATOMIC_RELAXED); }

pipe_inode_info *get_pipe_info(file *f)
{
	return f->f_op == &pipefifo_fops ? static_cast<pipe_inode_info *>(f->private_data) : nullptr;
}

namespace {

// Linux's round_pipe_size: at least a page, a power of two, 0 (EINVAL) above 2^31.
unsigned long round_pipe_size(unsigned long size)
{
	if (size > (1ul << 31))
		return 0;
	if (size < PAGE_SIZE)
		return PAGE_SIZE;
	unsigned long r = PAGE_SIZE;
	while (r < size)
		r <<= 1;
	return r;
}

// Moves the buffers into a ring of nr_slots (Linux's pipe_resize_ring): EBUSY when the data
// in the pipe needs more slots, ENOMEM.
long pipe_resize_ring(pipe_inode_info *p, unsigned nr_slots) TA_REQ(p->mutex)
{
	auto *bufs = static_cast<pipe_buffer *>(kcalloc(nr_slots, sizeof(pipe_buffer), GFP_KERNEL_ACCOUNT));
	if (!bufs)
		return ENOMEM_;
	unsigned head = p->head, tail = p->tail, mask = p->ring_size - 1;
	unsigned n = pipe_occupancy(head, tail);
	if (nr_slots < n) {
		kfree(bufs);
		return EBUSY_;
	}
	for (unsigned i = 0; i < n; i++)
		bufs[i] = p->bufs[(tail + i) & mask];
	kfree(p->bufs);
	p->bufs = bufs;
	p->ring_size = nr_slots;
	if (p->max_usage > nr_slots)
		p->max_usage = nr_slots;
	st(p->tail, 0);
	st(p->head, n);
	return 0;
}

} // namespace

long pipe_fcntl(file *f, unsigned cmd, unsigned long arg)
{
	pipe_inode_info *p = get_pipe_info(f);
	if (!p)
		return EBADF_;
	long ret;
	pipe_lock(p);
	switch (cmd) {
	case F_SETPIPE_SZ: {
		// Linux's pipe_fcntl takes the size as unsigned int.
		unsigned long size = round_pipe_size(static_cast<unsigned>(arg));
		unsigned long nr_slots = size >> PAGE_SHIFT;
		if (!nr_slots) {
			ret = EINVAL_;
			break;
		}
		// Above pipe-max-size needs CAP_SYS_RESOURCE, which every caller has here.
		ret = pipe_resize_ring(p, static_cast<unsigned>(nr_slots));
		if (ret)
			break;
		p->max_usage = static_cast<unsigned>(nr_slots);
		ret = static_cast<long>(p->max_usage) * static_cast<long>(PAGE_SIZE);
		break;
	}
	case F_GETPIPE_SZ:
		ret = static_cast<long>(p->max_usage) * static_cast<long>(PAGE_SIZE);
		break;
	default:
		ret = EINVAL_;
	}
	pipe_unlock(p);
	// A bigger ring makes room for writers.
	wake_up(&p->wr_wait);
	return ret;
}

// --- pipe2 ------------------------------------------------------------------------------------------

namespace {

// A pipefs inode with its pipe, one reader and one writer (Linux's get_pipe_inode).
ErrorOr<inode *> get_pipe_inode()
{
	inode *ino = TRY(new_inode(&pipefs.sb));
	pipe_inode_info *p = alloc_pipe_info();
	if (!p) {
		ino->i_nlink = 0;
		iput(ino);
		return Errno::ENOMEM;
	}
	{
		WriteGuard g(p->mutex);
		p->readers = p->writers = 1;
		p->r_counter = p->w_counter = 1;
	}
	p->files = 2;
	ino->i_pipe = p;
	ino->i_fop = &pipefifo_fops;
	ino->i_mode = S_IFIFO | 0600;
	ino->i_nlink = 0; // never in a directory: freed at the last iput
	ino->i_uid = ino->i_gid = 0;
	return ino;
}

void stream_open(file *f, unsigned rw)
{
	f->f_mode = rw | FMODE_STREAM;
}

} // namespace

Result create_pipe_files(file *res[2], unsigned flags)
{
	inode *ino = TRY(get_pipe_inode());
	pipe_inode_info *p = ino->i_pipe;
	// What /proc/<pid>/fd shows (Linux's pipefs_dname).
	char name[32];
	(void)pipe_dname(ino, name, sizeof(name));
	// Two files on the one inode, each with its own reference (alloc_file_pseudo consumes
	// one, also when it fails): the write end keeps O_DIRECT (packets are made by writers),
	// both O_NONBLOCK.
	igrab(ino);
	auto wr = alloc_file_pseudo(ino, name, O_WRONLY | (flags & (O_NONBLOCK | O_DIRECT)), &pipefifo_fops);
	if (wr.is_error()) {
		// Neither file exists: the pipe is ours to free, and the other reference goes.
		ino->i_pipe = nullptr;
		free_pipe_info(p);
		iput(ino);
		return wr.error();
	}
	file *fw = wr.value();
	fw->private_data = p;
	stream_open(fw, FMODE_WRITE);
	auto rd = alloc_file_pseudo(ino, name, O_RDONLY | (flags & O_NONBLOCK), &pipefifo_fops);
	if (rd.is_error()) {
		// The write end's release drops its side and one `files`; the other is the read
		// end's that never came.
		{
			WriteGuard g(p->mutex);
			p->readers = 0;
		}
		put_pipe_info(ino, p);
		fput(fw);
		return rd.error();
	}
	file *fr = rd.value();
	fr->private_data = p;
	stream_open(fr, FMODE_READ);
	res[0] = fr;
	res[1] = fw;
	return {};
}

long sys_pipe2(u64 ufds, u64 flags, u64, u64, u64, u64)
{
	if (flags & ~u64(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return EINVAL_;
	file *res[2];
	Result r = create_pipe_files(res, static_cast<unsigned>(flags));
	if (r.is_error())
		return r.error().neg();
	file *fr = res[0], *fw = res[1];
	unsigned fdflags = flags & O_CLOEXEC;
	auto fd0 = get_unused_fd_flags(fdflags);
	if (fd0.is_error()) {
		fput(fr);
		fput(fw);
		return fd0.error().neg();
	}
	auto fd1 = get_unused_fd_flags(fdflags);
	if (fd1.is_error()) {
		put_unused_fd(fd0.value());
		fput(fr);
		fput(fw);
		return fd1.error().neg();
	}
	int fds[2] = {fd0.value(), fd1.value()};
	if (copy_to_user(reinterpret_cast<void *>(ufds), fds, sizeof(fds))) {
		put_unused_fd(fds[0]);
		put_unused_fd(fds[1]);
		fput(fr);
		fput(fw);
		return EFAULT_;
	}
	fd_install(fds[0], fr);
	fd_install(fds[1], fw);
	return 0;
}
