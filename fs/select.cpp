// ppoll and pselect6 (Linux 6.1's fs/select.c).
//
// A poll walks the files once with a poll table whose qproc queues one entry per wait queue a
// file's ->poll names (poll_wait), each holding a reference on its file so that the queue
// outlives the entry. The entries' wake callback (pollwake) marks the poller triggered and
// wakes it; the poller sleeps only while not triggered, so a wake-up between a file's check
// and the sleep is never lost. Later walks pass no table (the entries are all queued), and
// the first ready file also stops the queueing, as Linux's.
//
// Timeouts are absolute on the monotonic clock (the generic counter) and the sleeps are in
// jiffies, rounded up: never shorter than asked. With a timeout, the time left is written
// back (Linux's poll_select_finish); a signal ends the wait with -ERESTARTNOHAND, which
// becomes -EINTR when a handler runs (or when the time could not be written back).
// A sigmask argument is swapped in for the call and put back at its end unless a signal
// interrupted it, when the handler's frame saves the old mask (set_restore_sigmask).
#include <asm/arch_timer.h>
#include <asm/uaccess.h>

#include "drivers/arch_timer.h"
#include "fs/fs.h"
#include "fs/internal.h"
#include "kernel/sched.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/wait.h"
#include "kstd/string.h"
#include "mm/gfp.h"
#include "mm/slab.h"

namespace {

constexpr long EBADF_ = -9, ENOMEM_ = -12, EFAULT_ = -14, EINVAL_ = -22, EINTR_ = -4;
constexpr i64 NSEC_PER_SEC = 1000000000;

// --- the poll table ---------------------------------------------------------------------------------

struct poll_wqueues;
struct poll_table_entry {
	file *filp;
	wait_queue_entry wait;
	wait_queue_head *wait_address;
	poll_wqueues *owner;
};

// Entries beyond the inline ones come in kmalloc'd chunks (Linux's poll_table_page).
constexpr unsigned N_INLINE_POLL_ENTRIES = 12;
struct poll_table_chunk {
	poll_table_chunk *next;
	unsigned used;
	static constexpr unsigned N = 30;
	poll_table_entry entries[N];
};

struct poll_wqueues {
	poll_table_struct pt;
	task_struct *polling_task;
	int triggered; // atomic
	int error;
	unsigned inline_index;
	poll_table_chunk *chunks;
	poll_table_entry inline_entries[N_INLINE_POLL_ENTRIES];
};

void pollwake(wait_queue_entry *w)
{
	poll_table_entry *e = container_of(w, poll_table_entry, wait);
	poll_wqueues *pwq = e->owner;
	// The flag before the wake-up: the poller tests it after setting its state.
	__atomic_store_n(&pwq->triggered, 1, __ATOMIC_RELEASE);
	try_to_wake_up(pwq->polling_task, TASK_NORMAL);
}

poll_table_entry *poll_get_entry(poll_wqueues *p)
{
	if (p->inline_index < N_INLINE_POLL_ENTRIES)
		return &p->inline_entries[p->inline_index++];
	poll_table_chunk *c = p->chunks;
	if (!c || c->used == poll_table_chunk::N) {
		auto *n = static_cast<poll_table_chunk *>(kmalloc(sizeof(poll_table_chunk), GFP_KERNEL));
		if (!n) {
			p->error = static_cast<int>(ENOMEM_);
			return nullptr;
		}
		n->next = c;
		n->used = 0;
		p->chunks = c = n;
	}
	return &c->entries[c->used++];
}

void poll_qproc(file *f, wait_queue_head *wq, poll_table_struct *pt)
{
	poll_wqueues *pwq = container_of(pt, poll_wqueues, pt);
	poll_table_entry *e = poll_get_entry(pwq);
	if (!e)
		return;
	e->filp = get_file(f);
	e->wait_address = wq;
	e->owner = pwq;
	new (&e->wait) wait_queue_entry;
	e->wait.task = pwq->polling_task;
	e->wait.func = pollwake;
	SpinLockGuard g(wq->lock);
	list_add_tail(&e->wait.entry, &wq->head);
}

void poll_initwait(poll_wqueues *p)
{
	p->pt.qproc = poll_qproc;
	p->pt.key = ~0u;
	p->polling_task = current;
	p->triggered = 0;
	p->error = 0;
	p->inline_index = 0;
	p->chunks = nullptr;
}

void free_poll_entry(poll_table_entry *e)
{
	{
		SpinLockGuard g(e->wait_address->lock);
		list_del_init(&e->wait.entry);
	}
	fput(e->filp);
}

void poll_freewait(poll_wqueues *p)
{
	for (unsigned i = 0; i < p->inline_index; i++)
		free_poll_entry(&p->inline_entries[i]);
	for (poll_table_chunk *c = p->chunks; c;) {
		for (unsigned i = 0; i < c->used; i++)
			free_poll_entry(&c->entries[i]);
		poll_table_chunk *n = c->next;
		kfree(c);
		c = n;
	}
}

// --- time ---------------------------------------------------------------------------------------------

i64 now_ns()
{
	u64 c = arch_counter_get_cntpct(), f = arch_timer_get_cntfrq();
	if (!f)
		f = 1;
	return static_cast<i64>(c / f) * NSEC_PER_SEC + static_cast<i64>((c % f) * NSEC_PER_SEC / f);
}

struct k_timespec {
	i64 tv_sec;
	i64 tv_nsec;
};

// Linux's poll_select_set_timeout: end = now + (sec, nsec); EINVAL for a bad timespec. A zero
// timeout stays zero (no sleep, no time written back).
bool set_timeout(i64 *end, i64 sec, i64 nsec)
{
	if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC)
		return false;
	if (!sec && !nsec) {
		*end = 0;
		return true;
	}
	constexpr i64 MAX_SEC = (__INT64_MAX__ / NSEC_PER_SEC) / 2;
	*end = sec >= MAX_SEC ? __INT64_MAX__ : now_ns() + sec * NSEC_PER_SEC + nsec;
	return true;
}

// Sleeps until triggered, a signal or `end` (nullptr: no limit; never called for a zero
// timeout); false when the time ran out.
bool poll_schedule_timeout(poll_wqueues *pwq, const i64 *end)
{
	bool timed_out = false;
	set_current_state(TASK_INTERRUPTIBLE);
	// The state first, then the tests: a wake-up or a signal after them finds the task
	// sleeping and wakes it (schedule() here does not look at pending signals itself).
	if (!__atomic_load_n(&pwq->triggered, __ATOMIC_ACQUIRE) && !signal_pending(current)) {
		if (!end) {
			schedule();
		} else {
			i64 left = *end - now_ns();
			if (left <= 0) {
				timed_out = true;
			} else {
				constexpr i64 NS_PER_JIFFY = NSEC_PER_SEC / HZ;
				i64 j = (left + NS_PER_JIFFY - 1) / NS_PER_JIFFY;
				if (j >= MAX_SCHEDULE_TIMEOUT / 2)
					j = MAX_SCHEDULE_TIMEOUT - 1;
				// A jiffy's tick may come at once: one more, never shorter than asked.
				(void)schedule_timeout(j + 1);
				timed_out = now_ns() >= *end;
			}
		}
	}
	__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
	__atomic_store_n(&pwq->triggered, 0, __ATOMIC_RELEASE);
	return !timed_out;
}

// --- the signal mask swap -------------------------------------------------------------------

long set_user_sigmask(u64 umask, u64 sigsetsize)
{
	if (!umask)
		return 0;
	if (sigsetsize != sizeof(ksigset_t))
		return EINVAL_;
	ksigset_t k;
	if (copy_from_user(&k, reinterpret_cast<const void *>(umask), sizeof(k)))
		return EFAULT_;
	task_struct *t = current;
	t->restore_sigmask = true;
	t->saved_sigmask = t->blocked;
	set_current_blocked(k);
	return 0;
}

// Linux's poll_select_finish: the mask back (unless a signal's handler is to see the call's),
// the time left written back, ERESTARTNOHAND -> EINTR when it could not be.
long poll_select_finish(const i64 *end, u64 utimeout, long ret)
{
	if (ret != -ERESTARTNOHAND)
		restore_saved_sigmask();
	if (!utimeout)
		return ret;
	if (*end == 0)
		return ret; // no update for a zero timeout
	i64 left = *end == __INT64_MAX__ ? __INT64_MAX__ : *end - now_ns();
	k_timespec rts{0, 0};
	if (left > 0) {
		rts.tv_sec = left / NSEC_PER_SEC;
		rts.tv_nsec = left % NSEC_PER_SEC;
	}
	if (!copy_to_user(reinterpret_cast<void *>(utimeout), &rts, sizeof(rts)))
		return ret;
	// The caller's timeout is read-only: it cannot be restarted with the time left.
	if (ret == -ERESTARTNOHAND)
		ret = EINTR_;
	return ret;
}

// --- poll -----------------------------------------------------------------------------------------------

struct pollfd {
	int fd;
	short events, revents;
};

// One fd (Linux's do_pollfd): revents, or POLLNVAL for a closed one; fd < 0 is skipped.
__poll_t do_pollfd(pollfd *pfd, poll_table_struct *pt)
{
	if (pfd->fd < 0)
		return 0;
	file *f = fget(static_cast<unsigned>(pfd->fd));
	if (!f)
		return EPOLLNVAL;
	// Error and hang-up are reported whether asked for or not.
	__poll_t filter = static_cast<u16>(pfd->events) | EPOLLERR | EPOLLHUP;
	if (pt)
		pt->key = filter;
	__poll_t mask = vfs_poll(f, pt) & filter;
	fput(f);
	return mask;
}

long do_poll(pollfd *fds, unsigned nfds, poll_wqueues *wait, const i64 *end)
{
	poll_table_struct *pt = &wait->pt;
	bool timed_out = false;
	if (end && *end == 0) {
		pt = nullptr; // a zero timeout never waits: nothing to queue
		timed_out = true;
	}
	long count = 0;
	for (;;) {
		for (unsigned i = 0; i < nfds; i++) {
			__poll_t mask = do_pollfd(&fds[i], pt);
			fds[i].revents = static_cast<short>(mask);
			if (mask) {
				count++;
				pt = nullptr;
			}
		}
		pt = nullptr; // every queue is on the table now
		if (!count) {
			count = wait->error;
			if (signal_pending(current))
				count = -ERESTARTNOHAND;
		}
		if (count || timed_out)
			break;
		if (!poll_schedule_timeout(wait, end))
			timed_out = true;
	}
	return count;
}

long do_sys_poll(u64 ufds, unsigned nfds, const i64 *end)
{
	if (nfds > rlimit_nofile())
		return EINVAL_;
	usize bytes = usize(nfds) * sizeof(pollfd);
	pollfd stack_fds[32];
	pollfd *fds = stack_fds;
	if (nfds > 32) {
		fds = static_cast<pollfd *>(kmalloc(bytes, GFP_KERNEL));
		if (!fds)
			return ENOMEM_;
	}
	long ret;
	if (copy_from_user(fds, reinterpret_cast<const void *>(ufds), bytes)) {
		ret = EFAULT_;
	} else {
		poll_wqueues table;
		poll_initwait(&table);
		ret = do_poll(fds, nfds, &table, end);
		poll_freewait(&table);
		// revents go back whatever the outcome (all 0 after a signal).
		for (unsigned i = 0; i < nfds; i++)
			if (copy_to_user(reinterpret_cast<void *>(ufds + i * sizeof(pollfd) + __builtin_offsetof(pollfd, revents)),
					 &fds[i].revents, sizeof(short))) {
				ret = EFAULT_;
				break;
			}
	}
	if (fds != stack_fds)
		kfree(fds);
	return ret;
}

// --- select -------------------------------------------------------------------------------------------

constexpr __poll_t POLLIN_SET = EPOLLRDNORM | EPOLLRDBAND | EPOLLIN | EPOLLHUP | EPOLLERR;
constexpr __poll_t POLLOUT_SET = EPOLLWRBAND | EPOLLWRNORM | EPOLLOUT | EPOLLERR;
constexpr __poll_t POLLEX_SET = EPOLLPRI;
constexpr unsigned BITS = 64;

struct fd_sets {
	unsigned long *in, *out, *ex, *res_in, *res_out, *res_ex;
};

// Linux's max_select_fd: the highest fd set plus one, EBADF for a set bit of a closed fd.
long max_select_fd(unsigned n, const fd_sets &s)
{
	unsigned words = (n + BITS - 1) / BITS;
	unsigned max = 0;
	for (unsigned w = 0; w < words; w++) {
		unsigned long set = s.in[w] | s.out[w] | s.ex[w];
		if (w == words - 1 && n % BITS)
			set &= (1ul << (n % BITS)) - 1;
		while (set) {
			unsigned b = static_cast<unsigned>(__builtin_ctzl(set));
			set &= set - 1;
			unsigned fd = w * BITS + b;
			file *f = fget(fd);
			if (!f)
				return EBADF_;
			fput(f);
			max = fd + 1;
		}
	}
	return max;
}

long do_select(unsigned n, fd_sets &s, const i64 *end)
{
	long r = max_select_fd(n, s);
	if (r < 0)
		return r;
	n = static_cast<unsigned>(r);
	poll_wqueues table;
	poll_initwait(&table);
	poll_table_struct *pt = &table.pt;
	bool timed_out = false;
	if (end && *end == 0) {
		pt = nullptr;
		timed_out = true;
	}
	long retval = 0;
	unsigned words = (n + BITS - 1) / BITS;
	for (;;) {
		for (unsigned w = 0; w < words; w++) {
			unsigned long in = s.in[w], out = s.out[w], ex = s.ex[w];
			unsigned long all = in | out | ex;
			unsigned long res_in = 0, res_out = 0, res_ex = 0;
			while (all) {
				unsigned b = static_cast<unsigned>(__builtin_ctzl(all));
				all &= all - 1;
				unsigned long bit = 1ul << b;
				if (w * BITS + b >= n)
					break;
				__poll_t mask = EPOLLNVAL;
				file *f = fget(w * BITS + b);
				if (f) {
					if (pt)
						pt->key = ((in & bit) ? POLLIN_SET : 0) | ((out & bit) ? POLLOUT_SET : 0) |
							  ((ex & bit) ? POLLEX_SET : 0);
					mask = vfs_poll(f, pt);
					fput(f);
				}
				if ((mask & POLLIN_SET) && (in & bit)) {
					res_in |= bit;
					retval++;
					pt = nullptr;
				}
				if ((mask & POLLOUT_SET) && (out & bit)) {
					res_out |= bit;
					retval++;
					pt = nullptr;
				}
				if ((mask & POLLEX_SET) && (ex & bit)) {
					res_ex |= bit;
					retval++;
					pt = nullptr;
				}
			}
			s.res_in[w] = res_in;
			s.res_out[w] = res_out;
			s.res_ex[w] = res_ex;
		}
		pt = nullptr;
		if (retval || timed_out || signal_pending(current))
			break;
		if (table.error) {
			retval = table.error;
			break;
		}
		if (!poll_schedule_timeout(&table, end))
			timed_out = true;
	}
	poll_freewait(&table);
	return retval;
}

// The size of the caller's descriptor table: select looks no further (Linux's fdt->max_fds).
unsigned select_max_fds();

long core_sys_select(long n, u64 inp, u64 outp, u64 exp, const i64 *end)
{
	if (n < 0)
		return EINVAL_;
	unsigned max_fds = select_max_fds();
	if (static_cast<unsigned long>(n) > max_fds)
		n = max_fds;
	unsigned nu = static_cast<unsigned>(n);
	usize words = (nu + BITS - 1) / BITS, bytes = words * sizeof(unsigned long);
	unsigned long stack_bits[6 * 4];
	unsigned long *bits = stack_bits;
	if (words > 4) {
		bits = static_cast<unsigned long *>(kmalloc(6 * bytes, GFP_KERNEL));
		if (!bits)
			return ENOMEM_;
	}
	fd_sets s{bits, bits + words, bits + 2 * words, bits + 3 * words, bits + 4 * words, bits + 5 * words};
	long ret = 0;
	auto get = [&](u64 u, unsigned long *k) {
		if (!u) {
			memset(k, 0, bytes);
			return true;
		}
		return copy_from_user(k, reinterpret_cast<const void *>(u), bytes) == 0;
	};
	auto put = [&](u64 u, const unsigned long *k) {
		return !u || copy_to_user(reinterpret_cast<void *>(u), k, bytes) == 0;
	};
	if (!get(inp, s.in) || !get(outp, s.out) || !get(exp, s.ex)) {
		ret = EFAULT_;
		goto out;
	}
	ret = do_select(nu, s, end);
	if (ret < 0)
		goto out;
	if (!ret) {
		ret = -ERESTARTNOHAND;
		if (signal_pending(current))
			goto out;
		ret = 0;
	}
	if (!put(inp, s.res_in) || !put(outp, s.res_out) || !put(exp, s.res_ex))
		ret = EFAULT_;
out:
	if (bits != stack_bits)
		kfree(bits);
	return ret;
}

} // namespace

// Every open slot counts, as Linux's max_fds (the table's size, at least 64).
namespace {
unsigned select_max_fds()
{
	files_struct *f = current->files;
	SpinLockGuard g(f->lock);
	return f->max_fds;
}
} // namespace

long sys_ppoll(u64 ufds, u64 nfds, u64 utsp, u64 usigmask, u64 sigsetsize, u64)
{
	i64 end = 0;
	const i64 *to = nullptr;
	if (utsp) {
		k_timespec ts;
		if (copy_from_user(&ts, reinterpret_cast<const void *>(utsp), sizeof(ts)))
			return EFAULT_;
		if (!set_timeout(&end, ts.tv_sec, ts.tv_nsec))
			return EINVAL_;
		to = &end;
	}
	long ret = set_user_sigmask(usigmask, sigsetsize);
	if (ret)
		return ret;
	ret = do_sys_poll(ufds, static_cast<unsigned>(nfds), to);
	return poll_select_finish(&end, utsp, ret);
}

long sys_pselect6(u64 n, u64 inp, u64 outp, u64 exp, u64 utsp, u64 usig)
{
	i64 end = 0;
	const i64 *to = nullptr;
	if (utsp) {
		k_timespec ts;
		if (copy_from_user(&ts, reinterpret_cast<const void *>(utsp), sizeof(ts)))
			return EFAULT_;
		if (!set_timeout(&end, ts.tv_sec, ts.tv_nsec))
			return EINVAL_;
		to = &end;
	}
	// The sixth argument points at {const sigset_t *ss; size_t ss_len} (Linux's
	// get_sigset_argpack).
	if (usig) {
		struct {
			u64 p, size;
		} pack;
		if (copy_from_user(&pack, reinterpret_cast<const void *>(usig), sizeof(pack)))
			return EFAULT_;
		long r = set_user_sigmask(pack.p, pack.size);
		if (r)
			return r;
	}
	long ret = core_sys_select(static_cast<int>(n), inp, outp, exp, to);
	return poll_select_finish(&end, utsp, ret);
}
