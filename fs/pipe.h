// Pipes and FIFOs (Linux's fs/pipe.c, fs/fifo semantics in fifo_open, include/linux/pipe_fs_i.h).
//
// A pipe is a ring of page buffers: `head` is where the next buffer goes, `tail` the oldest one
// with data; both only grow (the slot is index & (ring_size - 1)), so head - tail is the
// occupancy and head == tail an empty pipe. A write of at most PIPE_BUF (one page) bytes either
// merges whole into the last page or takes one new page whole while holding the pipe's mutex,
// so it is never interleaved with another writer's (Linux's atomicity guarantee).
//
// Lifetime: one pipe_inode_info per pipe inode, counted by `files` (the open files on it: two
// for pipe2, one per open of a FIFO). The last release frees the buffers' pages, the ring and
// the structure at once (so a FIFO holds no memory while nobody has it open); the inode goes
// with its last iput (a pipe2 inode is pipefs's pseudo inode, a FIFO's is tmpfs's).
//
// Locking: `mutex` (Linux's pipe->mutex) serializes readers, writers and resizes; readers and
// writers sleep on rd_wait/wr_wait without it. poll reads head/tail/readers/writers without
// the mutex (as Linux's READ_ONCE): a stale answer is corrected by the wake-up that follows.
#pragma once

#include "core/rwsem.h"
#include "fs/fs.h"
#include "kernel/wait_types.h"

inline constexpr unsigned PIPE_DEF_BUFFERS = 16;
inline constexpr unsigned PIPE_BUF = 4096; // the atomic write size (uapi limits.h)
// Linux's /proc/sys/fs/pipe-max-size default: the most F_SETPIPE_SZ gives without
// CAP_SYS_RESOURCE (every caller has it here, as root).
inline constexpr unsigned PIPE_MAX_SIZE = 1048576;
// fcntl commands (Linux's F_LINUX_SPECIFIC_BASE 1024 + 7, + 8).
inline constexpr unsigned F_SETPIPE_SZ = 1031, F_GETPIPE_SZ = 1032;

inline constexpr unsigned PIPE_BUF_FLAG_PACKET = 0x08;    // O_DIRECT pipe: one write, one read
inline constexpr unsigned PIPE_BUF_FLAG_CAN_MERGE = 0x10; // later small writes may append

struct pipe_buffer {
	page *pg;
	unsigned offset, len;
	unsigned flags;
};

struct pipe_inode_info {
	rw_semaphore mutex; // taken for writing only: Linux's mutex
	wait_queue_head rd_wait, wr_wait;
	unsigned head TA_GUARDED(mutex) = 0;
	unsigned tail TA_GUARDED(mutex) = 0;
	unsigned max_usage TA_GUARDED(mutex) = 0; // slots writers may fill (<= ring_size)
	unsigned ring_size TA_GUARDED(mutex) = 0; // a power of two
	unsigned readers TA_GUARDED(mutex) = 0;
	unsigned writers TA_GUARDED(mutex) = 0;
	// Opens for reading/writing ever (FIFO opens wait for the other side's count to move).
	unsigned r_counter TA_GUARDED(mutex) = 0;
	unsigned w_counter TA_GUARDED(mutex) = 0;
	unsigned files = 0; // under pipe_files_lock (fs/pipe.cpp), Linux's inode->i_lock
	bool poll_usage = false; // a poller looked: every write wakes readers (Linux's)
	page *tmp_page TA_GUARDED(mutex) = nullptr; // one freed page kept for the next write
	pipe_buffer *bufs TA_GUARDED(mutex) = nullptr; // ring_size slots
};

// The file operations of pipes and FIFOs (i_fop of FIFO inodes through init_special_inode).
extern const file_operations pipefifo_fops;

// pipe2(fds, flags): O_CLOEXEC, O_NONBLOCK, O_DIRECT (packet mode); EINVAL, EMFILE, ENFILE,
// ENOMEM, EFAULT.
long sys_pipe2(u64 ufds, u64 flags, u64, u64, u64, u64);
// The two ends of a new pipe (Linux's create_pipe_files): res[0] reads, res[1] writes; flags
// O_NONBLOCK and O_DIRECT. ENOMEM.
[[nodiscard]] Result create_pipe_files(file *res[2], unsigned flags);
// fcntl's F_SETPIPE_SZ / F_GETPIPE_SZ on f (Linux's pipe_fcntl): the pipe's size in bytes, or
// -EBADF when f is not a pipe or FIFO, -EINVAL, -EPERM, -EBUSY (the data would not fit), -ENOMEM.
long pipe_fcntl(file *f, unsigned cmd, unsigned long arg);
// The pipe of an open pipe or FIFO, or nullptr (Linux's get_pipe_info).
pipe_inode_info *get_pipe_info(file *f);

// The name /proc/<pid>/fd shows for a pipe2 pipe, "pipe:[<ino>]" (Linux's pipefs_dname):
// its length in buf, or 0 when ino is not one (a FIFO has its path).
usize pipe_dname(const inode *ino, char *buf, usize size);

// Test ledger: pipe_inode_info structures alive (each with its pages).
long pipe_live_count();
