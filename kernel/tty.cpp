// The console tty (see kernel/tty.h): flip buffer, readers and writers, ioctls, job control.
#include "kernel/tty.h"

#include <asm/irqflags.h>
#include <asm/uaccess.h>

#include "drivers/arch_timer.h"
#include "drivers/serial_rx.h"
#include "kernel/console.h"
#include "kernel/irq.h"
#include "kernel/n_tty.h"
#include "kernel/signal.h"
#include "kernel/wait.h"
#include "kstd/string.h"

namespace {

constexpr long EINTR_ = -4, EAGAIN_ = -11, EFAULT_ = -14, EPERM_ = -1, ESRCH_ = -3, EINVAL_ = -22,
	       ENOTTY_ = -25;
constexpr u32 O_NONBLOCK = 04000;

void out_console(void *, const char *s, usize n) { console_puts(s, n); }
void on_signal(void *ctx, int sig);

struct k_winsize {
	u16 ws_row, ws_col, ws_xpixel, ws_ypixel;
};

class ConsoleTty {
public:
	static constexpr usize FLIP_SIZE = 4096;

	SpinLock lock;
	// The console driver adds the CR of ONLCR's "\r\n" itself (Console::write).
	tty::NTty ld TA_GUARDED(lock){out_console, on_signal, this, true};
	u8 flip[FLIP_SIZE] TA_GUARDED(lock);
	usize flip_head TA_GUARDED(lock) = 0, flip_tail TA_GUARDED(lock) = 0;
	int readers TA_GUARDED(lock) = 0;     // tasks sleeping in tty_read
	bool read_busy TA_GUARDED(lock) = false; // one reader at a time (Linux's atomic_read_lock)
	ksigset_t pending_sigs TA_GUARDED(lock) = 0; // raised by ISIG, sent after the unlock
	u64 isig_seq TA_GUARDED(lock) = 0;
	int session TA_GUARDED(lock) = 0, pgrp TA_GUARDED(lock) = 0;
	k_winsize winsize TA_GUARDED(lock) = {};
	u32 file_flags = 0; // atomic
	wait_queue_head read_wait, write_wait, read_lock_wait;

	usize flip_cnt() const TA_REQ(lock) { return flip_head - flip_tail; }
	u8 flip_at(usize i) const TA_REQ(lock) { return flip[i % FLIP_SIZE]; }

	// Moves what the console UART holds into the flip buffer (the driver's read_char pops
	// its interrupt-filled ring, or polls the UART when it has none).
	void pull_device() TA_REQ(lock)
	{
		while (flip_cnt() < FLIP_SIZE) {
			int c = console_getc();
			if (c < 0)
				break;
			flip[flip_head++ % FLIP_SIZE] = static_cast<u8>(c);
		}
	}

	// Feeds the discipline from the flip buffer: `all`, or (canonical) up to the end of one
	// line. Stops early when the discipline's buffer is full (raw mode).
	void ingest(bool all) TA_REQ(lock)
	{
		while (flip_cnt()) {
			if (!all && ld.icanon() && ld.input_available())
				return;
			u8 c = flip_at(flip_tail);
			if (ld.receive(&c, 1) == 0)
				return;
			flip_tail++;
		}
	}

	// What the interrupt processes without a reader: up to the last signal or flow-control
	// character, or everything once the flip buffer is half full.
	void ingest_prompt() TA_REQ(lock)
	{
		if (flip_cnt() >= FLIP_SIZE / 2) {
			ingest(true);
			return;
		}
		usize last = flip_tail;
		bool found = false;
		for (usize i = flip_tail; i != flip_head; i++)
			if (ld.is_prompt_char(flip_at(i))) {
				last = i;
				found = true;
			}
		if (!found)
			return;
		while (flip_tail != last + 1) {
			u8 c = flip_at(flip_tail);
			if (ld.receive(&c, 1) == 0)
				return;
			flip_tail++;
		}
	}

	void flush_input() TA_REQ(lock)
	{
		ld.flush_input();
		flip_tail = flip_head;
	}

	// Takes the signals ISIG raised (with the foreground group they go to) for sending once
	// the lock is dropped: kill_pgrp takes tasklist_lock and the targets' siglocks.
	ksigset_t take_signals(int *to) TA_REQ(lock)
	{
		ksigset_t s = pending_sigs;
		pending_sigs = 0;
		*to = pgrp;
		return s;
	}
};

ConsoleTty con;

void on_signal(void *, int sig) TA_NO_THREAD_SAFETY_ANALYSIS // called by con.ld, under con.lock
{
	con.pending_sigs |= sigmask(sig);
	con.isig_seq++;
}

// After an unlock: the ISIG signals to the foreground process group (Linux's __isig:
// kill_pgrp(tty_pgrp, sig, 1), from the kernel), and the wake-ups input or ^Q may need.
void post_receive(ksigset_t sigs, int pgrp)
{
	for (int sig = 1; sigs; sig++)
		if (sigs & sigmask(sig)) {
			sigs &= ~sigmask(sig);
			if (pgrp > 0)
				(void)kill_pgrp(pgrp, sig, true);
		}
	wake_up(&con.read_wait);
	wake_up(&con.write_wait);
}

// How long a sleeping reader waits before polling the UART itself: an interrupt-driven
// console is polled every 100 ms in case an interrupt was lost, a polled one every tick.
long poll_interval() { return console_serial_rx() ? HZ / 10 : 1; }

// Sleeps (state already set by prepare_to_wait) for at most `timeout` jiffies; the jiffies
// left. Before the tick works there is no timer to wake us: wait for an interrupt instead.
long tty_sleep(long timeout)
{
	if (!tick_ready() || arch_irqs_disabled()) {
		__atomic_store_n(&current->__state, TASK_RUNNING, __ATOMIC_RELAXED);
		if (irq_controller_ready() && !arch_irqs_disabled())
			asm volatile("wfi" ::: "memory");
		else
			cpu_relax();
		return timeout;
	}
	long slice = timeout < poll_interval() ? timeout : poll_interval();
	long left = schedule_timeout(slice);
	if (timeout == MAX_SCHEDULE_TIMEOUT)
		return timeout;
	return timeout - (slice - left);
}

// --- job control helpers ------------------------------------------------------------------------

// The console's session, dropped when its leader is gone (see kernel/tty.h). tasklist_lock
// is taken before con.lock wherever both are held.
int valid_session()
{
	int sid;
	{
		SpinLockGuard g(con.lock);
		sid = con.session;
	}
	if (!sid)
		return 0;
	bool alive;
	{
		SpinLockGuard g(tasklist_lock);
		task_struct *l = find_process_locked(sid);
		alive = l && !l->exit_state && !(l->flags & PF_EXITING) && l->signal->session == sid;
	}
	if (alive)
		return sid;
	SpinLockGuard g(con.lock);
	if (con.session == sid) {
		con.session = 0;
		con.pgrp = 0;
	}
	return 0;
}

template <typename T> bool get_user_val(T &dst, u64 uaddr)
{
	return copy_from_user(&dst, reinterpret_cast<const void *>(uaddr), sizeof(T)) == 0;
}
template <typename T> bool put_user_val(const T &src, u64 uaddr)
{
	return copy_to_user(reinterpret_cast<void *>(uaddr), &src, sizeof(T)) == 0;
}

long set_termios_ioctl(u64 arg, bool flush)
{
	tty::termios t;
	if (!get_user_val(t, arg))
		return EFAULT_;
	{
		SpinLockGuard g(con.lock);
		if (flush)
			con.flush_input();
		con.ld.set_termios(t);
	}
	// A mode change can make input readable (canonical -> raw) or restart output.
	wake_up(&con.read_wait);
	wake_up(&con.write_wait);
	return 0;
}

// tiocsctty: a session leader without a controlling tty takes the console; one that is
// another session's is taken only with arg 1 by a privileged caller (every caller is root).
long tiocsctty(u64 arg)
{
	task_struct *me = current->group_leader;
	int sid = valid_session();
	if (is_session_leader(me) && sid == me->signal->session)
		return 0; // already ours
	if (!is_session_leader(me) || (sid && sid == me->signal->session))
		return EPERM_;
	if (sid && arg != 1)
		return EPERM_;
	SpinLockGuard g(con.lock);
	con.session = me->signal->session;
	con.pgrp = me->signal->pgrp;
	return 0;
}

// tiocspgrp: the foreground group must be in the caller's session, which must be the
// console's.
long tiocspgrp(u64 arg)
{
	int pgrp;
	if (!get_user_val(pgrp, arg))
		return EFAULT_;
	if (pgrp < 0)
		return EINVAL_;
	int sid = valid_session();
	if (!sid || sid != current->signal->session)
		return ENOTTY_;
	int s;
	{
		SpinLockGuard g(tasklist_lock);
		s = session_of_pgrp_locked(pgrp);
	}
	if (s < 0)
		return ESRCH_;
	if (s != sid)
		return EPERM_;
	SpinLockGuard g(con.lock);
	con.pgrp = pgrp;
	return 0;
}

} // namespace

// --- input --------------------------------------------------------------------------------------

void tty_receive_from_device()
{
	ksigset_t sigs;
	int to;
	{
		SpinLockGuard g(con.lock);
		if (con.readers) {
			con.pull_device();
			con.ingest(!con.ld.icanon());
		} else {
			// Nobody reads: the bytes stay in the UART's ring (the driver's flip buffer)
			// unless one of them acts on arrival or the ring is half full.
			SerialRx *rx = console_serial_rx();
			bool need = !rx || rx->count() >= SerialRx::SIZE / 2;
			for (u32 i = 0, n = rx ? rx->count() : 0; i < n && !need; i++)
				need = con.ld.is_prompt_char(rx->peek(i));
			if (need) {
				con.pull_device();
				con.ingest_prompt();
			}
		}
		sigs = con.take_signals(&to);
	}
	post_receive(sigs, to);
}

long tty_read(TtyCopyFn copy, void *ctx, usize len, bool nonblock, bool stop_on_isig)
{
	// One reader at a time, so that a line is never split between two.
	{
		wait_queue_entry w;
		long r = 0;
		for (;;) {
			prepare_to_wait(&con.read_lock_wait, &w, TASK_INTERRUPTIBLE);
			{
				SpinLockGuard g(con.lock);
				if (!con.read_busy) {
					con.read_busy = true;
					break;
				}
			}
			if (signal_pending(current)) {
				r = -ERESTARTSYS;
				break;
			}
			schedule();
		}
		finish_wait(&con.read_lock_wait, &w);
		if (r)
			return r;
	}

	// n_tty_read's VMIN/VTIME rules: canonical reads wait for a line; raw reads for VMIN
	// bytes with VTIME as the inter-byte timer (VMIN > 0) or the whole read's (VMIN 0).
	usize minimum = 1;
	long timeout = MAX_SCHEDULE_TIMEOUT, time = 0;
	u64 seq0;
	{
		SpinLockGuard g(con.lock);
		seq0 = con.isig_seq;
		if (!con.ld.icanon()) {
			const tty::termios &t = con.ld.get_termios();
			if (t.c_cc[tty::VMIN]) {
				minimum = t.c_cc[tty::VMIN];
				if (t.c_cc[tty::VTIME])
					time = long(t.c_cc[tty::VTIME]) * HZ / 10;
			} else {
				timeout = long(t.c_cc[tty::VTIME]) * HZ / 10;
			}
		}
	}
	usize copied = 0;
	long ret = 0;
	u8 kbuf[256];
	while (copied < len) {
		wait_queue_entry w;
		prepare_to_wait(&con.read_wait, &w, TASK_INTERRUPTIBLE);
		ksigset_t sigs;
		int to;
		usize n = 0;
		bool avail, canon, line_done = false, interrupted;
		{
			SpinLockGuard g(con.lock);
			con.pull_device();
			canon = con.ld.icanon();
			con.ingest(!canon);
			avail = con.ld.input_available();
			interrupted = stop_on_isig && con.isig_seq != seq0;
			if (avail && !interrupted) {
				usize want = len - copied < sizeof(kbuf) ? len - copied : sizeof(kbuf);
				n = canon ? con.ld.read_canon(kbuf, want, &line_done) : con.ld.read_raw(kbuf, want);
				// Room in the buffer again: what waited in the flip buffer can go in.
				if (!canon)
					con.ingest(true);
			} else if (!avail && !interrupted) {
				con.readers++;
			}
			sigs = con.take_signals(&to);
		}
		if (sigs)
			post_receive(sigs, to);
		if (interrupted) {
			finish_wait(&con.read_wait, &w);
			ret = EINTR_;
			break;
		}
		if (!avail) {
			// n_tty_read's order: VMIN met, the timer expired, O_NONBLOCK, a signal.
			bool stop = true;
			if (!canon && copied >= minimum)
				ret = 0;
			else if (timeout == 0)
				ret = 0;
			else if (nonblock)
				ret = EAGAIN_;
			else if (signal_pending(current))
				ret = -ERESTARTSYS;
			else {
				timeout = tty_sleep(timeout);
				stop = false;
			}
			finish_wait(&con.read_wait, &w);
			{
				SpinLockGuard g(con.lock);
				con.readers--;
			}
			if (stop)
				break;
			continue;
		}
		finish_wait(&con.read_wait, &w);
		if (n && copy(ctx, kbuf, n) < 0) {
			ret = EFAULT_; // consumed and lost, as Linux's copy_to_iter failure
			break;
		}
		copied += n;
		if (canon) {
			if (line_done)
				break;
			continue;
		}
		if (time)
			timeout = time;
	}
	{
		SpinLockGuard g(con.lock);
		con.read_busy = false;
	}
	wake_up(&con.read_lock_wait);
	return copied ? static_cast<long>(copied) : ret;
}

// --- output -------------------------------------------------------------------------------------

long tty_write(const u8 *buf, usize n)
{
	usize done = 0;
	while (done < n) {
		wait_queue_entry w;
		bool go = false;
		prepare_to_wait(&con.write_wait, &w, TASK_INTERRUPTIBLE);
		{
			SpinLockGuard g(con.lock);
			if (!con.ld.stopped()) {
				// Small chunks: the console is written with IRQs off under the lock.
				usize chunk = n - done < 64 ? n - done : 64;
				con.ld.write(buf + done, chunk);
				done += chunk;
				go = true;
			}
		}
		if (!go) {
			if (signal_pending(current)) {
				finish_wait(&con.write_wait, &w);
				return done ? static_cast<long>(done) : -ERESTARTSYS;
			}
			(void)tty_sleep(MAX_SCHEDULE_TIMEOUT);
		}
		finish_wait(&con.write_wait, &w);
	}
	return static_cast<long>(done);
}

wait_queue_head *tty_poll_queue() { return &con.read_wait; }

bool tty_input_ready()
{
	ksigset_t sigs;
	int to;
	bool ready;
	{
		SpinLockGuard g(con.lock);
		con.pull_device();
		con.ingest(!con.ld.icanon());
		usize amt = 1;
		if (!con.ld.icanon()) {
			const tty::termios &t = con.ld.get_termios();
			if (!t.c_cc[tty::VTIME] && t.c_cc[tty::VMIN])
				amt = t.c_cc[tty::VMIN];
		}
		ready = con.ld.input_available(amt);
		sigs = con.take_signals(&to);
	}
	if (sigs)
		post_receive(sigs, to);
	return ready;
}

u32 tty_file_flags() { return __atomic_load_n(&con.file_flags, __ATOMIC_RELAXED); }
void tty_set_file_flags(u32 f) { __atomic_store_n(&con.file_flags, f, __ATOMIC_RELAXED); }

// --- ioctl --------------------------------------------------------------------------------------

long tty_ioctl(u64 cmd, u64 arg)
{
	// asm-generic/ioctls.h
	constexpr u64 TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404, TCSBRK = 0x5409,
		      TCXONC = 0x540A, TCFLSH = 0x540B, TIOCSCTTY = 0x540E, TIOCGPGRP = 0x540F,
		      TIOCSPGRP = 0x5410, TIOCOUTQ = 0x5411, TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413,
		      TIOCSWINSZ = 0x5414, FIONREAD = 0x541B, FIONBIO = 0x5421, TIOCNOTTY = 0x5422,
		      TIOCGETD = 0x5424, TCSBRKP = 0x5425, TIOCGSID = 0x5429;
	switch (cmd) {
	case TCGETS: {
		tty::termios t;
		{
			SpinLockGuard g(con.lock);
			t = con.ld.get_termios();
		}
		return put_user_val(t, arg) ? 0 : EFAULT_;
	}
	case TCSETS:
	case TCSETSW: // output is written synchronously: there is nothing to drain
		return set_termios_ioctl(arg, false);
	case TCSETSF:
		return set_termios_ioctl(arg, true);
	case TCSBRK:
	case TCSBRKP:
		return 0; // tcdrain, and a break the UART is not asked to send
	case TCXONC: {
		// TCOOFF, TCOON: output; TCIOFF, TCION: send VSTOP/VSTART to the other end.
		SpinLockGuard g(con.lock);
		switch (arg) {
		case 0:
			con.ld.stop();
			return 0;
		case 1:
			con.ld.start();
			break;
		case 2:
		case 3: {
			char c = static_cast<char>(con.ld.get_termios().c_cc[arg == 2 ? tty::VSTOP : tty::VSTART]);
			if (c)
				console_puts(&c, 1);
			return 0;
		}
		default:
			return EINVAL_;
		}
		break;
	}
	case TCFLSH: {
		if (arg > 2) // TCIFLUSH, TCOFLUSH, TCIOFLUSH
			return EINVAL_;
		if (arg != 1) {
			SpinLockGuard g(con.lock);
			con.flush_input();
		}
		return 0; // output is never queued
	}
	case TIOCSCTTY:
		return tiocsctty(arg);
	case TIOCNOTTY: {
		if (!tty_is_ctty(current))
			return ENOTTY_;
		// A session leader gives the console up (SIGHUP to the foreground group); another
		// member keeps it: the session alone decides the controlling tty here.
		if (is_session_leader(current->group_leader))
			disassociate_ctty(false);
		return 0;
	}
	case TIOCGPGRP:
	case TIOCGSID: {
		if (!tty_is_ctty(current))
			return ENOTTY_;
		int v;
		{
			SpinLockGuard g(con.lock);
			v = cmd == TIOCGPGRP ? con.pgrp : con.session;
		}
		if (cmd == TIOCGSID && !v)
			return ENOTTY_;
		return put_user_val(v, arg) ? 0 : EFAULT_;
	}
	case TIOCSPGRP:
		return tiocspgrp(arg);
	case TIOCOUTQ: {
		int zero = 0;
		return put_user_val(zero, arg) ? 0 : EFAULT_;
	}
	case FIONREAD: {
		int n;
		{
			SpinLockGuard g(con.lock);
			con.pull_device();
			con.ingest(true);
			n = static_cast<int>(con.ld.inq());
		}
		return put_user_val(n, arg) ? 0 : EFAULT_;
	}
	case TIOCSTI: {
		// Input as if typed (Linux 6.1: the caller's controlling tty, or CAP_SYS_ADMIN,
		// which every caller has here). It goes straight to the discipline.
		u8 c;
		if (!get_user_val(c, arg))
			return EFAULT_;
		ksigset_t sigs;
		int to;
		{
			SpinLockGuard g(con.lock);
			(void)con.ld.receive(&c, 1);
			sigs = con.take_signals(&to);
		}
		post_receive(sigs, to);
		return 0;
	}
	case TIOCGWINSZ: {
		k_winsize w;
		{
			SpinLockGuard g(con.lock);
			w = con.winsize;
		}
		return put_user_val(w, arg) ? 0 : EFAULT_;
	}
	case TIOCSWINSZ: {
		k_winsize w;
		if (!get_user_val(w, arg))
			return EFAULT_;
		int to;
		bool changed;
		{
			SpinLockGuard g(con.lock);
			changed = memcmp(&w, &con.winsize, sizeof(w)) != 0;
			con.winsize = w;
			to = con.pgrp;
		}
		if (changed && to > 0)
			(void)kill_pgrp(to, SIGWINCH, true);
		return 0;
	}
	case FIONBIO: {
		int on;
		if (!get_user_val(on, arg))
			return EFAULT_;
		u32 f = tty_file_flags();
		tty_set_file_flags(on ? f | O_NONBLOCK : f & ~O_NONBLOCK);
		return 0;
	}
	case TIOCGETD: {
		int n_tty = 0; // N_TTY
		return put_user_val(n_tty, arg) ? 0 : EFAULT_;
	}
	default:
		return ENOTTY_;
	}
	// TCXONC's TCOON: a writer may wait for it.
	wake_up(&con.write_wait);
	return 0;
}

// --- job control --------------------------------------------------------------------------------

bool tty_is_ctty(const task_struct *t)
{
	int sid = valid_session();
	return sid && t->signal->session == sid;
}

int tty_session() { return valid_session(); }

int tty_foreground_pgrp()
{
	if (!valid_session())
		return 0;
	SpinLockGuard g(con.lock);
	return con.pgrp;
}

void tty_shell_take_console()
{
	task_struct *me = current->group_leader;
	{
		SpinLockGuard g(tasklist_lock);
		me->signal->session = me->tgid;
		me->signal->pgrp = me->tgid;
	}
	SpinLockGuard g(con.lock);
	con.session = me->tgid;
	con.pgrp = me->tgid;
}

void tty_set_foreground(int pgrp)
{
	SpinLockGuard g(con.lock);
	con.pgrp = pgrp;
}

void disassociate_ctty(bool on_exit)
{
	task_struct *me = current->group_leader;
	if (!is_session_leader(me) || !tty_is_ctty(me))
		return;
	int pgrp;
	{
		SpinLockGuard g(con.lock);
		pgrp = con.pgrp;
		con.session = 0;
		con.pgrp = 0;
	}
	if (pgrp > 0) {
		(void)kill_pgrp(pgrp, SIGHUP, on_exit);
		if (!on_exit)
			(void)kill_pgrp(pgrp, SIGCONT, on_exit);
	}
}
