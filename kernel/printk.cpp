// printk: formatted kernel messages with Linux's levels and "[    s.uuuuuu] " timestamps.
//
// Every line goes to a ring buffer (kept for `dmesg`; the oldest lines are overwritten) and,
// when its level is below console_loglevel, to every enabled console at once. Messages printed before
// a console exists are replayed when it registers, so nothing from early boot is lost.
#include "core/printk.h"

#include <asm/arch_timer.h>

#include "kernel/console.h"
#include "core/params.h"
#include "kernel/printk_internal.h"
#include "kernel/wait.h"
#include "mm/gfp.h"
#include "mm/slab.h"
#include <asm/uaccess.h>
#include "core/spinlock.h"
#include "kstd/string.h"
#include "lib/format.h"
#include "lib/parse.h"

int console_loglevel = 7;
static bool ignore_loglevel;
// Linux's printk.time (module parameter `time` of the built-in printk, settable on the command
// line as printk.time=0/1, also N/Y): whether lines carry their "[    s.uuuuuu] " timestamp.
// The log keeps every timestamp; the setting decides what the console and dmesg show, so it
// applies to lines logged before the command line was read too.
static bool printk_time = true;

static constexpr usize LOG_BUF_LEN = 128 * 1024;
static SpinLock logbuf_lock;
static char log_buf[LOG_BUF_LEN] TA_GUARDED(logbuf_lock);
static u64 log_next TA_GUARDED(logbuf_lock); // total bytes ever written; position = log_next % LOG_BUF_LEN
static bool line_open TA_GUARDED(logbuf_lock); // the last line has no '\n' yet (KERN_CONT continues it)
static int line_level TA_GUARDED(logbuf_lock);
// Records for /dev/kmsg: every line is one, numbered from 0 at boot (Linux's printk_info seq).
// log_first is the position of the oldest record still whole in the ring, log_first_seq its
// number; log_seq counts the records begun (the last is unfinished while line_open).
static u64 log_first TA_GUARDED(logbuf_lock);
static u64 log_first_seq TA_GUARDED(logbuf_lock);
static u64 log_seq TA_GUARDED(logbuf_lock);
// A record was finished since the tick last woke /dev/kmsg's readers (printk cannot wake
// them itself: it runs under any lock, the scheduler's included).
static bool log_wake_pending;
static wait_queue_head log_wait;
static u64 boot_counter;
// Every enabled console gets every printed line (Linux's console_drivers list); the preferred
// one is /dev/console, the tty the shell and init read from (Linux's CON_CONSDEV). Written
// under logbuf_lock with IRQs off, read by emit() under it.
static constexpr usize MAX_CONSOLES = 4;
static Console *consoles[MAX_CONSOLES] TA_GUARDED(logbuf_lock);
static usize nr_consoles TA_GUARDED(logbuf_lock);
static Console *preferred_console;

void printk_set_time_base(u64 counter) { boot_counter = counter; }

static void log_putc(char c) TA_REQ(logbuf_lock)
{
	// The byte about to go is the oldest record's first: that record is lost.
	if (log_next - log_first >= LOG_BUF_LEN) {
		u64 q = log_first;
		while (q < log_next && log_buf[q % LOG_BUF_LEN] != '\n')
			q++;
		log_first = q + 1;
		log_first_seq++;
	}
	log_buf[log_next % LOG_BUF_LEN] = c;
	log_next++;
	if (c == '\n')
		__atomic_store_n(&log_wake_pending, true, __ATOMIC_RELEASE);
}

static bool level_printed(int level) { return ignore_loglevel || level < console_loglevel; }

static void emit(int level, const char *s, usize n, bool to_console = true) TA_REQ(logbuf_lock)
{
	for (usize i = 0; i < n; i++)
		log_putc(s[i]);
	if (to_console && level_printed(level))
		for (usize i = 0; i < nr_consoles; i++)
			consoles[i]->write(s, n);
}

// A logged line without its timestamp when printk.time is off.
static void strip_time(const char *&s, usize &n)
{
	if (printk_time || n == 0 || s[0] != '[')
		return;
	const char *end = static_cast<const char *>(memchr(s, ']', n));
	if (!end || usize(end - s) + 2 > n || end[1] != ' ')
		return;
	n -= usize(end - s) + 2;
	s = end + 2;
}

// Timestamp since kernel entry from the generic counter (no 128-bit division needed:
// rem < freq, and rem * 10^6 fits in 64 bits for any real counter frequency).
static usize format_timestamp(char *buf, usize size)
{
	u64 freq = arch_timer_get_cntfrq();
	u64 t = arch_counter_get_cntpct() - boot_counter;
	if (freq == 0)
		freq = 1;
	u64 sec = t / freq, usec = (t % freq) * 1000000 / freq;
	return kstd::scnprintf(buf, size, "[%5lu.%06lu] ", (unsigned long)sec, (unsigned long)usec);
}

extern "C" int vprintk(const char *fmt, va_list ap)
{
	static char text[1024];
	int level = MESSAGE_LOGLEVEL_DEFAULT;
	bool cont = false;
	while (fmt[0] == KERN_SOH[0] && fmt[1]) {
		if (fmt[1] >= '0' && fmt[1] <= '7')
			level = fmt[1] - '0';
		else if (fmt[1] == 'c')
			cont = true;
		fmt += 2;
	}

	irqflags_t flags = logbuf_lock.lock_irqsave();
	int n = kstd::vscnprintf(text, sizeof(text), fmt, ap);
	if (cont && line_open)
		level = line_level;
	else if (line_open) {
		// A new message while a line is open: terminate it, as Linux does.
		emit(line_level, "\n", 1);
		line_open = false;
	}
	const char *p = text, *end = text + n;
	while (p < end) {
		if (!line_open) {
			char ts[32];
			log_putc(static_cast<char>('0' + level)); // level byte, read back by dmesg
			log_seq++;
			usize tl = format_timestamp(ts, sizeof(ts));
			emit(level, ts, tl, printk_time);
			line_open = true;
			line_level = level;
		}
		const char *nl = static_cast<const char *>(memchr(p, '\n', end - p));
		usize len = nl ? usize(nl - p + 1) : usize(end - p);
		emit(level, p, len);
		if (nl)
			line_open = false;
		p += len;
	}
	logbuf_lock.unlock_irqrestore(flags);
	return n;
}

extern "C" int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

// Walks complete lines still in the ring: level byte, then text through '\n'.
template <typename Fn> static void for_each_log_line(Fn fn) TA_REQ(logbuf_lock)
{
	u64 start = log_next > LOG_BUF_LEN ? log_next - LOG_BUF_LEN : 0;
	if (start > 0) {
		// Overwritten: skip to the first line that is whole.
		while (start < log_next && log_buf[start % LOG_BUF_LEN] != '\n')
			start++;
		start++;
	}
	static char line[1100];
	while (start < log_next) {
		// The record's prio byte: '0' + (facility << 3 | level), facility 0 for the kernel's.
		int level = (static_cast<u8>(log_buf[start % LOG_BUF_LEN]) - '0') & 7;
		start++;
		usize n = 0;
		while (start < log_next) {
			char c = log_buf[start % LOG_BUF_LEN];
			start++;
			if (n < sizeof(line) - 1)
				line[n++] = c;
			if (c == '\n')
				break;
		}
		fn(level, line, n);
	}
}

bool register_console(Console *c)
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	for (usize i = 0; i < nr_consoles; i++)
		if (consoles[i] == c) { // already printing (an earlycon that became the console)
			logbuf_lock.unlock_irqrestore(flags);
			return true;
		}
	if (nr_consoles == MAX_CONSOLES) {
		logbuf_lock.unlock_irqrestore(flags);
		return false;
	}
	consoles[nr_consoles++] = c;
	if (!__atomic_load_n(&preferred_console, __ATOMIC_ACQUIRE))
		__atomic_store_n(&preferred_console, c, __ATOMIC_RELEASE);
	// Replay everything logged so far (Linux's CON_PRINTBUFFER).
	for_each_log_line([&](int level, const char *s, usize n) {
		strip_time(s, n);
		if (level_printed(level))
			c->write(s, n);
	});
	logbuf_lock.unlock_irqrestore(flags);
	return true;
}

void unregister_console(Console *c)
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	for (usize i = 0; i < nr_consoles; i++)
		if (consoles[i] == c) {
			consoles[i] = consoles[--nr_consoles];
			break;
		}
	if (__atomic_load_n(&preferred_console, __ATOMIC_ACQUIRE) == c)
		__atomic_store_n(&preferred_console, nr_consoles ? consoles[0] : nullptr, __ATOMIC_RELEASE);
	logbuf_lock.unlock_irqrestore(flags);
}

void set_preferred_console(Console *c) { __atomic_store_n(&preferred_console, c, __ATOMIC_RELEASE); }

Console *active_console() { return __atomic_load_n(&preferred_console, __ATOMIC_ACQUIRE); }

void dmesg_dump(void (*out)(const char *s, usize n))
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	for_each_log_line([&](int, const char *s, usize n) {
		strip_time(s, n);
		out(s, n);
	});
	logbuf_lock.unlock_irqrestore(flags);
}

u64 printk_log_mark()
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	u64 seq = log_seq;
	logbuf_lock.unlock_irqrestore(flags);
	return seq;
}

// The crash report's look back: the consoles showed only what the loglevel let through, the
// ring has the rest. Written to the consoles only (the lines are in the log already).
unsigned printk_replay_tail(u64 mark, unsigned max_lines)
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	u64 total = 0;
	for_each_log_line([&](int, const char *, usize) { total++; });
	// Records begun since the mark (the open one included) are not part of the look back.
	u64 after = log_seq > mark ? log_seq - mark : 0;
	u64 end = total > after ? total - after : 0;
	u64 start = end > max_lines ? end - max_lines : 0, i = 0;
	for_each_log_line([&](int, const char *s, usize n) TA_REQ(logbuf_lock) {
		if (i >= start && i < end) {
			strip_time(s, n);
			for (usize k = 0; k < nr_consoles; k++)
				consoles[k]->write(s, n);
		}
		i++;
	});
	logbuf_lock.unlock_irqrestore(flags);
	return static_cast<unsigned>(end - start);
}

bool printk_console_filtered(int level) { return !level_printed(level); }

// Oops and panic must print even if the CPU died holding the log lock (Linux's
// bust_spinlocks): re-initialise it. Only called on the way down.
void printk_bust_locks() { new (&logbuf_lock) SpinLock(); }

static Result set_loglevel(const char *val)
{
	if (!val)
		return Errno::EINVAL;
	u64 v = TRY(kstd::kstrtou64(val, 10));
	if (v > 15)
		return Errno::ERANGE;
	console_loglevel = static_cast<int>(v);
	return {};
}
EARLY_PARAM("loglevel", set_loglevel);

static Result set_quiet(const char *) { console_loglevel = 4; return {}; }
EARLY_PARAM("quiet", set_quiet);

static Result set_ignore_loglevel(const char *) { ignore_loglevel = true; return {}; }
EARLY_PARAM("ignore_loglevel", set_ignore_loglevel);

static Result set_printk_time(const char *val)
{
	if (!val)
		return Errno::EINVAL;
	printk_time = TRY(kstd::kstrtobool(val));
	return {};
}
// printk.time=0|1 (Linux: kernel/printk/printk.c module_param_named(time, printk_time, ...)).
EARLY_PARAM("printk.time", set_printk_time);

// --- /dev/kmsg (Linux's devkmsg_read format over the same ring) -----------------------------

void kmsg_cursor_first(kmsg_cursor *c)
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	c->seq = log_first_seq;
	c->pos = log_first;
	logbuf_lock.unlock_irqrestore(flags);
}

static void kmsg_cursor_end_locked(kmsg_cursor *c) TA_REQ(logbuf_lock);
void kmsg_cursor_end(kmsg_cursor *c)
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	kmsg_cursor_end_locked(c);
	logbuf_lock.unlock_irqrestore(flags);
}

static void kmsg_cursor_end_locked(kmsg_cursor *c) TA_REQ(logbuf_lock)
{
	if (line_open) {
		// The unfinished record is the next one a reader gets: find where it starts.
		u64 q = log_next;
		while (q > log_first && log_buf[(q - 1) % LOG_BUF_LEN] != '\n')
			q--;
		c->seq = log_seq - 1;
		c->pos = q;
	} else {
		c->seq = log_seq;
		c->pos = log_next;
	}
}

static bool kmsg_complete(const kmsg_cursor *c) TA_REQ(logbuf_lock)
{
	return c->seq < log_seq - (line_open ? 1 : 0);
}

int kmsg_poll_state(const kmsg_cursor *c)
{
	irqflags_t flags = logbuf_lock.lock_irqsave();
	int r = c->seq < log_first_seq ? 2 : kmsg_complete(c) ? 1 : 0;
	logbuf_lock.unlock_irqrestore(flags);
	return r;
}

long kmsg_read_record(kmsg_cursor *c, char *out, usize size)
{
	constexpr long EAGAIN_ = -11, EPIPE_ = -32;
	irqflags_t flags = logbuf_lock.lock_irqsave();
	if (c->seq < log_first_seq) {
		c->seq = log_first_seq;
		c->pos = log_first;
		logbuf_lock.unlock_irqrestore(flags);
		return EPIPE_;
	}
	if (!kmsg_complete(c)) {
		logbuf_lock.unlock_irqrestore(flags);
		return EAGAIN_;
	}
	u64 q = c->pos;
	auto at = [&](u64 i) TA_REQ(logbuf_lock) { return log_buf[i % LOG_BUF_LEN]; };
	int prio = static_cast<u8>(at(q++)) - '0';
	// "[%5lu.%06lu] " as vprintk wrote it, back to microseconds.
	u64 sec = 0, usec = 0;
	if (at(q) == '[') {
		q++;
		while (at(q) == ' ')
			q++;
		while (at(q) >= '0' && at(q) <= '9')
			sec = sec * 10 + u64(at(q++) - '0');
		if (at(q) == '.')
			q++;
		while (at(q) >= '0' && at(q) <= '9')
			usec = usec * 10 + u64(at(q++) - '0');
		if (at(q) == ']')
			q++;
		if (at(q) == ' ')
			q++;
	}
	usize n = kstd::scnprintf(out, size, "%d,%lu,%lu,-;", prio, (unsigned long)c->seq,
				  (unsigned long)(sec * 1000000 + usec));
	// The text with Linux's msg_add_ext_text escaping: control characters, DEL and above,
	// and the backslash as \xNN.
	static const char hex[] = "0123456789abcdef";
	for (; at(q) != '\n'; q++) {
		u8 ch = static_cast<u8>(at(q));
		if (ch < ' ' || ch >= 127 || ch == '\\') {
			if (n + 4 < size) {
				out[n++] = '\\';
				out[n++] = 'x';
				out[n++] = hex[ch >> 4];
				out[n++] = hex[ch & 15];
			}
		} else if (n + 1 < size) {
			out[n++] = static_cast<char>(ch);
		}
	}
	if (n + 1 <= size)
		out[n++] = '\n';
	c->seq++;
	c->pos = q + 1;
	logbuf_lock.unlock_irqrestore(flags);
	return static_cast<long>(n);
}

wait_queue_head *kmsg_wait_queue() { return &log_wait; }

// --- syslog(2) (Linux's do_syslog) --------------------------------------------------------------

// SYSLOG_ACTION_CLEAR's mark (where READ_ALL starts) and SYSLOG_ACTION_READ's position.
static kmsg_cursor clear_cursor TA_GUARDED(logbuf_lock);
static kmsg_cursor syslog_cursor TA_GUARDED(logbuf_lock);
static int saved_console_loglevel = -1;
static constexpr int MINIMUM_CONSOLE_LOGLEVEL = 1;

// A cursor still in the ring (moved to the oldest record when its own was overwritten).
static void cursor_valid(kmsg_cursor *c) TA_REQ(logbuf_lock)
{
	if (c->seq < log_first_seq) {
		c->seq = log_first_seq;
		c->pos = log_first;
	}
}

// Record c as syslog text, "<prio>[    s.uuuuuu] text\n" (the time as printk.time says),
// into out when it is not null; its length, or 0 when c is at the end. Advances c.
static usize syslog_record(kmsg_cursor *c, char *out, usize size) TA_REQ(logbuf_lock)
{
	cursor_valid(c);
	if (!kmsg_complete(c))
		return 0;
	u64 q = c->pos;
	char head[8];
	usize n = kstd::scnprintf(head, sizeof(head), "<%d>", static_cast<u8>(log_buf[q++ % LOG_BUF_LEN]) - '0');
	if (out)
		memcpy(out, head, n < size ? n : size);
	bool skip_time = !printk_time && log_buf[q % LOG_BUF_LEN] == '[';
	for (;; q++) {
		char ch = log_buf[q % LOG_BUF_LEN];
		if (skip_time) {
			if (ch == ' ' && log_buf[(q - 1) % LOG_BUF_LEN] == ']')
				skip_time = false;
			continue;
		}
		if (out && n < size)
			out[n] = ch;
		n++;
		if (ch == '\n')
			break;
	}
	c->seq++;
	c->pos = q + 1;
	return n;
}

// Copies records from *c on into buf while they fit whole (at least the start of one when
// `partial`): bytes copied, or -EFAULT when nothing was. text is one record's room.
static long syslog_copy(kmsg_cursor *c, char *buf, long len, char *text, usize text_size, bool partial)
{
	long done = 0;
	for (;;) {
		kmsg_cursor next;
		usize n;
		{
			irqflags_t f = logbuf_lock.lock_irqsave();
			next = *c;
			n = syslog_record(&next, text, text_size);
			logbuf_lock.unlock_irqrestore(f);
		}
		if (n > text_size)
			n = text_size;
		if (!n || (done + long(n) > len && !(partial && done == 0)))
			return done;
		usize m = done + long(n) <= len ? n : usize(len - done);
		// Copied with the lock dropped: a fault on the user buffer may sleep.
		if (copy_to_user(buf + done, text, m))
			return done ? done : -14; // EFAULT
		*c = next;
		done += long(m);
		if (done >= len)
			return done;
	}
}

void kmsg_cursor_clear(kmsg_cursor *c)
{
	irqflags_t f = logbuf_lock.lock_irqsave();
	cursor_valid(&clear_cursor);
	*c = clear_cursor;
	logbuf_lock.unlock_irqrestore(f);
}

long sys_syslog(u64 type, u64 ubuf, u64 ulen, u64, u64, u64)
{
	constexpr long EINVAL_ = -22, EFAULT_ = -14, ENOMEM_ = -12;
	enum { CLOSE, OPEN, READ, READ_ALL, READ_CLEAR, CLEAR, CONSOLE_OFF, CONSOLE_ON, CONSOLE_LEVEL,
	       SIZE_UNREAD, SIZE_BUFFER };
	int len = static_cast<int>(ulen);
	auto *buf = reinterpret_cast<char *>(ubuf);
	constexpr usize TEXT = 1200; // one record: the level, the time and up to 1024 characters
	int t = static_cast<int>(type);
	switch (t) {
	case CLOSE:
	case OPEN:
		return 0;
	case READ:
	case READ_ALL:
	case READ_CLEAR: {
		if (!buf || len < 0)
			return EINVAL_;
		if (!len)
			return 0;
		if (!access_ok(buf, static_cast<usize>(len)))
			return EFAULT_;
		char *text = static_cast<char *>(kmalloc(TEXT, GFP_KERNEL));
		if (!text)
			return ENOMEM_;
		long r;
		if (t == READ) {
			// Waits for a record, then takes what fits (a first record longer than len is
			// cut; Linux hands out the rest at the next read).
			auto ready = [] {
				irqflags_t f = logbuf_lock.lock_irqsave();
				cursor_valid(&syslog_cursor);
				bool ok = kmsg_complete(&syslog_cursor);
				logbuf_lock.unlock_irqrestore(f);
				return ok;
			};
			r = wait_event_interruptible(log_wait, ready());
			if (!r) {
				kmsg_cursor c;
				{
					irqflags_t f = logbuf_lock.lock_irqsave();
					c = syslog_cursor;
					logbuf_lock.unlock_irqrestore(f);
				}
				r = syslog_copy(&c, buf, len, text, TEXT, true);
				irqflags_t f = logbuf_lock.lock_irqsave();
				syslog_cursor = c; // one reader at a time is the caller's business (klogd)
				logbuf_lock.unlock_irqrestore(f);
			}
		} else {
			// The newest records that fit, from the clear mark on (Linux's
			// find_first_fitting_seq), then READ_CLEAR moves the mark to the end.
			kmsg_cursor c;
			{
				irqflags_t f = logbuf_lock.lock_irqsave();
				cursor_valid(&clear_cursor);
				kmsg_cursor w = clear_cursor;
				u64 total = 0;
				for (usize n; (n = syslog_record(&w, nullptr, 0));)
					total += n;
				c = clear_cursor;
				while (total > u64(len)) {
					usize n = syslog_record(&c, nullptr, 0);
					if (!n)
						break;
					total -= n;
				}
				logbuf_lock.unlock_irqrestore(f);
			}
			r = syslog_copy(&c, buf, len, text, TEXT, false);
			if (t == READ_CLEAR && r >= 0) {
				irqflags_t f = logbuf_lock.lock_irqsave();
				kmsg_cursor_end_locked(&clear_cursor);
				logbuf_lock.unlock_irqrestore(f);
			}
		}
		kfree(text);
		return r;
	}
	case CLEAR: {
		irqflags_t f = logbuf_lock.lock_irqsave();
		kmsg_cursor_end_locked(&clear_cursor);
		logbuf_lock.unlock_irqrestore(f);
		return 0;
	}
	case CONSOLE_OFF:
		if (saved_console_loglevel == -1)
			saved_console_loglevel = console_loglevel;
		console_loglevel = MINIMUM_CONSOLE_LOGLEVEL;
		return 0;
	case CONSOLE_ON:
		if (saved_console_loglevel != -1) {
			console_loglevel = saved_console_loglevel;
			saved_console_loglevel = -1;
		}
		return 0;
	case CONSOLE_LEVEL:
		if (len < 1 || len > 8)
			return EINVAL_;
		console_loglevel = len < MINIMUM_CONSOLE_LOGLEVEL ? MINIMUM_CONSOLE_LOGLEVEL : len;
		saved_console_loglevel = -1; // implicitly re-enables the console
		return 0;
	case SIZE_UNREAD: {
		irqflags_t f = logbuf_lock.lock_irqsave();
		kmsg_cursor w = syslog_cursor;
		long total = 0;
		for (usize n; (n = syslog_record(&w, nullptr, 0));)
			total += long(n);
		logbuf_lock.unlock_irqrestore(f);
		return total;
	}
	case SIZE_BUFFER:
		return static_cast<long>(LOG_BUF_LEN);
	default:
		return EINVAL_;
	}
}

void printk_tick()
{
	if (__atomic_load_n(&log_wake_pending, __ATOMIC_ACQUIRE) &&
	    __atomic_exchange_n(&log_wake_pending, false, __ATOMIC_ACQ_REL))
		wake_up(&log_wait);
}

void printk_user_record(int prio, const char *text, usize n)
{
	int level = prio & 7;
	irqflags_t flags = logbuf_lock.lock_irqsave();
	if (line_open) {
		emit(line_level, "\n", 1);
		line_open = false;
	}
	char ts[32];
	log_putc(static_cast<char>('0' + prio));
	log_seq++;
	usize tl = format_timestamp(ts, sizeof(ts));
	emit(level, ts, tl, printk_time);
	// One record per line: a newline inside the text ends it (Linux keeps it in the record).
	for (usize i = 0; i < n; i++)
		if (text[i] == '\n')
			n = i;
	emit(level, text, n);
	emit(level, "\n", 1);
	logbuf_lock.unlock_irqrestore(flags);
}
