// Process, console, time, signal-bookkeeping and miscellaneous syscalls.
//
// The console's output prefix for the KTEST runner (the console file itself is
// drivers/char/mem.cpp's); the file syscalls are in fs/. The signal syscalls are in
// kernel/sys_signal.cpp.
#include <asm/arch_timer.h>
#include <asm/uaccess.h>

#include "kernel/console.h"
#include "kernel/exit.h"
#include "kernel/futex.h"
#include "core/cpumask.h"
#include "core/printk.h"
#include "kernel/process.h"
#include "kernel/reboot.h"
#include "kernel/signal.h"
#include "kernel/syscalls.h"
#include "kernel/tty.h"
#include "kernel/wait.h"
#include "drivers/arch_timer.h"
#include "kernel/version.h"
#include "fs/proc/proc_fs.h"
#include "kstd/string.h"
#include "mm/mm_struct.h"
#include "fs/fs.h"

static constexpr long EFAULT_ = -14, EINVAL_ = -22;

static task_struct *cur() { return current_task(); }
template <typename T> static bool get_user(T &dst, u64 uaddr)
{
	return copy_from_user(&dst, reinterpret_cast<const void *>(uaddr), sizeof(T)) == 0;
}
template <typename T> static bool put_user(const T &src, u64 uaddr)
{
	return copy_to_user(reinterpret_cast<void *>(uaddr), &src, sizeof(T)) == 0;
}

// --- console I/O ---------------------------------------------------------------------------------
static const char *user_prefix;
static bool at_line_start = true;

void set_user_console_prefix(const char *prefix)
{
	user_prefix = prefix;
	at_line_start = true;
}

// Writes through the tty (OPOST, ^S/^Q), with the KTEST runner's line prefix. The bytes of
// buf written (short only when a signal ended a wait for ^Q), or -ERESTARTSYS for none.
long user_console_put(const char *buf, usize n)
{
	auto put = [](const char *s, usize len) { return tty_write(reinterpret_cast<const u8 *>(s), len); };
	if (!user_prefix)
		return put(buf, n);
	usize s = 0;
	while (s < n) {
		if (at_line_start) {
			console_puts(user_prefix, strlen(user_prefix));
			at_line_start = false;
		}
		usize e = s;
		while (e < n && buf[e] != '\n')
			e++;
		usize len = e < n ? e + 1 - s : n - s;
		long r = put(buf + s, len);
		if (r < 0)
			return s ? static_cast<long>(s) : r;
		if (static_cast<usize>(r) < len)
			return static_cast<long>(s + r);
		if (e < n)
			at_line_start = true;
		s += len;
	}
	return static_cast<long>(n);
}


// The console as a file (/dev/console, /dev/tty) is drivers/char/mem.cpp's console_fops.

// --- process -------------------------------------------------------------------------------------
long sys_getpid(u64, u64, u64, u64, u64, u64) { return cur()->tgid; }
long sys_gettid(u64, u64, u64, u64, u64, u64) { return cur()->pid; }
long sys_getppid(u64, u64, u64, u64, u64, u64) { return task_ppid(current); }
long sys_getuid(u64, u64, u64, u64, u64, u64) { return 0; }

long sys_set_tid_address(u64 tidptr, u64, u64, u64, u64, u64)
{
	cur()->clear_child_tid = tidptr;
	return cur()->pid;
}

// getpriority/setpriority (Linux's kernel/sys.c): PRIO_PROCESS for one task (who 0: the
// caller); PRIO_PGRP and PRIO_USER with who 0 mean the caller's group and user, which here is
// the caller alone (no process groups yet, every program is root). The raw syscall returns
// 20 - nice (1..40) so that no valid result is negative; glibc turns it back into a nice.
static constexpr u64 PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

static long prio_target(u64 which, u64 who, task_struct **out)
{
	if (which > PRIO_USER)
		return EINVAL_;
	task_struct *self = cur();
	if (who == 0 || (which == PRIO_PROCESS && static_cast<i64>(who) == self->pid)) {
		get_task_struct(self);
		*out = self;
		return 0;
	}
	if (which == PRIO_PGRP || which == PRIO_USER || static_cast<i64>(who) < 0 || who > 0x7fffffff)
		return -3; // ESRCH: another group or user has no tasks here
	task_struct *t = find_get_task_by_pid(static_cast<int>(who));
	if (!t)
		return -3; // ESRCH
	*out = t;
	return 0;
}

long sys_getpriority(u64 which, u64 who, u64, u64, u64, u64)
{
	task_struct *t;
	if (long r = prio_target(which, who, &t))
		return r;
	long v = 20 - t->nice;
	put_task_struct(t);
	return v;
}

long sys_setpriority(u64 which, u64 who, u64 niceval, u64, u64, u64)
{
	task_struct *t;
	if (long r = prio_target(which, who, &t))
		return r;
	// Linux clamps to [MIN_NICE, MAX_NICE]; root (CAP_SYS_NICE) may also lower it.
	i64 n = static_cast<i64>(static_cast<int>(niceval));
	set_user_nice(t, n < -20 ? -20 : n > 19 ? 19 : static_cast<int>(n));
	put_task_struct(t);
	return 0;
}

// sched_getaffinity/sched_setaffinity for the caller (pid 0 or its own): a cpumask of
// cpumask_size() bytes, one long for up to 64 CPUs, as Linux's. The mask must name an online
// CPU (EINVAL otherwise); it takes effect when tasks run on more than one CPU.
static constexpr u64 CPUMASK_BYTES = sizeof(unsigned long);

long sys_sched_getaffinity(u64 pid, u64 len, u64 umask, u64, u64, u64)
{
	if (len < CPUMASK_BYTES || (len & (sizeof(unsigned long) - 1)))
		return EINVAL_;
	if (pid != 0 && static_cast<i64>(pid) != cur()->pid)
		return -3; // ESRCH: other tasks come with process management
	unsigned long m = cur()->cpus_allowed & __atomic_load_n(&__cpu_online_mask, __ATOMIC_RELAXED);
	if (!put_user(m, umask))
		return EFAULT_;
	return static_cast<long>(CPUMASK_BYTES);
}

long sys_sched_setaffinity(u64 pid, u64 len, u64 umask, u64, u64, u64)
{
	if (pid != 0 && static_cast<i64>(pid) != cur()->pid)
		return -3; // ESRCH
	unsigned long m = 0;
	if (len > 0) {
		unsigned long word = 0;
		u64 n = len < sizeof(word) ? len : sizeof(word);
		if (copy_from_user(&word, reinterpret_cast<const void *>(umask), n))
			return EFAULT_;
		m = word & (~0ul >> (64 - NR_CPUS));
	}
	if (!(m & __atomic_load_n(&__cpu_online_mask, __ATOMIC_RELAXED)))
		return EINVAL_;
	cur()->cpus_allowed = m;
	return 0;
}

long sys_sched_yield(u64, u64, u64, u64, u64, u64)
{
	yield();
	return 0;
}

// --- time ---------------------------------------------------------------------------------------
struct k_timespec {
	i64 sec, nsec;
};

static k_timespec counter_to_ts(u64 c)
{
	u64 f = arch_timer_get_cntfrq();
	u64 sec = c / f, rem = c % f;
	return {static_cast<i64>(sec), static_cast<i64>(rem * 1000000000ull / f)};
}

long sys_clock_gettime(u64 clk, u64 uts, u64, u64, u64, u64)
{
	// REALTIME(0) counts from boot: there is no RTC driver yet. MONOTONIC(1), the CPU-time
	// clocks (2, 3), MONOTONIC_RAW(4), the COARSE variants (5, 6) and BOOTTIME(7) all read
	// the generic counter.
	if (clk > 7)
		return EINVAL_;
	u64 c = arch_counter_get_cntpct();
	if (clk == 2 || clk == 3)
		c -= cur()->start_counter;
	k_timespec ts = counter_to_ts(c);
	return put_user(ts, uts) ? 0 : EFAULT_;
}

long sys_clock_getres(u64 clk, u64 uts, u64, u64, u64, u64)
{
	if (clk > 7)
		return EINVAL_;
	if (!uts)
		return 0;
	k_timespec ts{0, 1};
	return put_user(ts, uts) ? 0 : EFAULT_;
}

long sys_gettimeofday(u64 utv, u64 utz, u64, u64, u64, u64)
{
	if (utv) {
		k_timespec ts = counter_to_ts(arch_counter_get_cntpct());
		struct {
			i64 sec, usec;
		} tv{ts.sec, ts.nsec / 1000};
		if (!put_user(tv, utv))
			return EFAULT_;
	}
	if (utz) {
		u32 tz[2] = {0, 0};
		if (!put_user(tz, utz))
			return EFAULT_;
	}
	return 0;
}

// Counter ticks for a valid timespec, saturating at U64_MAX ("forever") instead of wrapping:
// nanosleep of 2^62 s must sleep, not return after the product overflowed.
static u64 ts_to_counter_ticks(const k_timespec &ts, u64 f)
{
	u64 sec = static_cast<u64>(ts.sec);
	if (sec > ~u64{0} / f)
		return ~u64{0};
	u64 t = sec * f;
	u64 frac = static_cast<u64>(ts.nsec) * f / 1000000000ull; // nsec < 1e9, f < 2^34: no overflow
	return t > ~u64{0} - frac ? ~u64{0} : t + frac;
}

// Linux's timespec64_valid: tv_sec >= 0 and 0 <= tv_nsec < 1e9.
static bool ts_valid(const k_timespec &ts) { return ts.sec >= 0 && ts.nsec >= 0 && ts.nsec < 1000000000; }

// Sleeps until the counter reaches `expires` or a signal interrupts (Linux's do_nanosleep).
// Interrupted before the end, a relative sleep stores the time left in *rmtp and returns
// -ERESTART_RESTARTBLOCK: a handler makes it -EINTR (nanosleep is never restarted after a
// handler, whatever SA_RESTART says), a signal without one (a stop, an ignored signal) resumes
// it through restart_syscall for what is left. An absolute sleep returns -ERESTARTNOHAND and
// is simply called again.
static long nanosleep_restart(restart_block *rb);

static long do_nanosleep_until(u64 expires, u64 rmtp, bool abs)
{
	u64 f = arch_timer_get_cntfrq();
	// Sleep on the tick: whole jiffies, rounded up so the sleep is never shorter than asked
	// (Linux's hrtimers are finer; the tick is what this kernel has). Without a running tick
	// (no interrupt controller) nothing would wake us, so wait on the counter instead.
	bool tick = tick_ready();
	u64 period = f / HZ;
	for (;;) {
		u64 now = arch_counter_get_cntpct();
		if (now >= expires)
			return 0;
		if (signal_pending(current))
			break;
		if (!tick) {
			cpu_relax();
			continue;
		}
		u64 left = (expires - now) / period + 2; // whole jiffies, and the partial current one
		// A sleep longer than schedule_timeout can express (or "forever") sleeps without a
		// timer until a signal wakes the task, as on Linux.
		long j = left >= static_cast<u64>(MAX_SCHEDULE_TIMEOUT) ? MAX_SCHEDULE_TIMEOUT : static_cast<long>(left);
		// The state is set before the last look at the pending signals: a signal sent after
		// it wakes us (signal_wake_up), one sent before is seen here.
		set_current_state(TASK_INTERRUPTIBLE);
		if (signal_pending(current)) {
			set_current_state(TASK_RUNNING);
			break;
		}
		schedule_timeout(j);
	}
	u64 now = arch_counter_get_cntpct();
	if (now >= expires)
		return 0;
	if (abs)
		return -ERESTARTNOHAND;
	restart_block &rb = current->restart;
	rb.fn = nanosleep_restart;
	rb.expires = expires;
	rb.rmtp = rmtp;
	if (rmtp && !put_user(counter_to_ts(expires - now), rmtp))
		return EFAULT_;
	return -ERESTART_RESTARTBLOCK;
}

static long nanosleep_restart(restart_block *rb)
{
	rb->fn = nullptr;
	return do_nanosleep_until(rb->expires, rb->rmtp, false);
}

static long sleep_for(const k_timespec &ts, u64 rmtp)
{
	if (!ts_valid(ts))
		return EINVAL_;
	u64 ticks = ts_to_counter_ticks(ts, arch_timer_get_cntfrq());
	u64 start = arch_counter_get_cntpct();
	u64 expires = ticks > ~u64{0} - start ? ~u64{0} : start + ticks;
	return do_nanosleep_until(expires, rmtp, false);
}

long sys_nanosleep(u64 ureq, u64 urem, u64, u64, u64, u64)
{
	k_timespec ts;
	if (!get_user(ts, ureq))
		return EFAULT_;
	return sleep_for(ts, urem);
}

long sys_clock_nanosleep(u64 clk, u64 flags, u64 ureq, u64 urem, u64, u64)
{
	constexpr u64 TIMER_ABSTIME = 1;
	if (clk != 0 && clk != 1 && clk != 7)
		return EINVAL_;
	k_timespec ts;
	if (!get_user(ts, ureq))
		return EFAULT_;
	if (!ts_valid(ts))
		return EINVAL_;
	if (flags & TIMER_ABSTIME) {
		// Every clock here counts from boot on the generic counter: the absolute time is a
		// counter value.
		return do_nanosleep_until(ts_to_counter_ticks(ts, arch_timer_get_cntfrq()), 0, true);
	}
	return sleep_for(ts, urem);
}

// Signals: kernel/sys_signal.cpp.

// --- system -----------------------------------------------------------------------------------
long sys_uname(u64 ubuf, u64, u64, u64, u64, u64)
{
	// The Linux ABI this kernel implements, so that libcs checking the release accept it.
	char u[6][65] = {};
	auto set = [&](int i, const char *s) {
		usize n = strlen(s);
		memcpy(u[i], s, n < 64 ? n : 64);
	};
	set(0, "Linux");
	char nodename[65];
	utsname_nodename(nodename); // /proc/sys/kernel/hostname
	set(1, nodename);
	set(2, "6.1.0-mmkernel");
	set(3, kernel_version);
	set(4, "aarch64");
	set(5, "(none)");
	return put_user(u, ubuf) ? 0 : EFAULT_;
}

long sys_getrandom(u64 ubuf, u64 len, u64 flags, u64, u64, u64)
{
	constexpr u64 GRND_NONBLOCK = 1, GRND_RANDOM = 2, GRND_INSECURE = 4;
	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return EINVAL_;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return EINVAL_;
	if (len > MAX_RW_COUNT) // Linux's cap for one call
		len = MAX_RW_COUNT;
	if (!access_ok(reinterpret_cast<void *>(ubuf), len))
		return EFAULT_;
	u64 done = 0;
	while (done < len) {
		u64 r[8];
		for (u64 &x : r)
			x = get_random_u64();
		u64 n = len - done < sizeof(r) ? len - done : sizeof(r);
		u64 left = copy_to_user(reinterpret_cast<void *>(ubuf + done), r, n);
		done += n - left;
		if (left) // Linux returns what it copied before the fault
			return done ? static_cast<long>(done) : EFAULT_;
	}
	return static_cast<long>(done);
}

long sys_reboot(u64 magic1, u64 magic2, u64 cmd, u64, u64, u64)
{
	constexpr u32 MAGIC1 = 0xfee1dead, MAGIC2 = 672274793, MAGIC2A = 85072278, MAGIC2B = 369367448,
		      MAGIC2C = 537993216;
	constexpr u32 CMD_RESTART = 0x01234567, CMD_HALT = 0xCDEF0123, CMD_POWER_OFF = 0x4321FEDC,
		      CMD_CAD_ON = 0x89ABCDEF, CMD_CAD_OFF = 0;
	u32 m2 = static_cast<u32>(magic2);
	if (static_cast<u32>(magic1) != MAGIC1 || (m2 != MAGIC2 && m2 != MAGIC2A && m2 != MAGIC2B && m2 != MAGIC2C))
		return EINVAL_;
	switch (static_cast<u32>(cmd)) {
	case CMD_RESTART:
		pr_notice("reboot: Restarting system\n");
		machine_restart();
	case CMD_HALT:
	case CMD_POWER_OFF:
		pr_notice("reboot: Power down\n");
		machine_power_off(0);
	case CMD_CAD_ON:
	case CMD_CAD_OFF:
		return 0;
	default:
		return EINVAL_;
	}
}
