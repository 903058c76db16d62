// seq_file: see lib/seq_file.h.
#include "lib/seq_file.h"

#include "kstd/new.h"
#include "kstd/string.h"
#include "lib/format.h"

namespace {

// The stream's buffer: lines up to this long reach the sink whole.
constexpr usize SINK_BUF = 512;
// The first buffer of a /proc read (Linux's PAGE_SIZE) and the largest one it grows to: far
// above any file here (smaps of a process with thousands of VMAs is a few MiB).
constexpr usize SEQ_FIRST_BUF = 4096;
constexpr usize SEQ_MAX_BUF = 64ul << 20;

void set_overflow(seq_file *m)
{
	m->count = m->size;
	m->overflowed = true;
}

// Streaming: hands whole lines to the sink and moves a partial last line to the front; with
// `all`, everything (a line longer than the buffer, or the end of the text).
void stream_flush(seq_file *m, bool all)
{
	usize n = m->count;
	if (!all) {
		while (n && m->buf[n - 1] != '\n')
			n--;
	}
	if (!n)
		return;
	m->flush(m, m->buf, n);
	memmove(m->buf, m->buf + n, m->count - n);
	m->count -= n;
	m->flushed += n;
}

// Makes room for n bytes: true when buf[count..count+n) may be written. Streaming files flush
// first; a buffer file that cannot take n bytes is marked overflowed (the runner grows it).
bool reserve(seq_file *m, usize n)
{
	if (m->overflowed)
		return false;
	if (m->size - m->count >= n)
		return true;
	if (m->flush) {
		stream_flush(m, false);
		if (m->size - m->count < n)
			stream_flush(m, true);
		if (m->size - m->count >= n)
			return true;
	}
	set_overflow(m);
	return false;
}

} // namespace

void seq_write(seq_file *m, const void *data, usize len)
{
	const char *p = static_cast<const char *>(data);
	// A stream takes any length in buffer-sized pieces.
	while (m->flush && len > m->size && !m->overflowed) {
		usize part = m->size - m->count;
		if (!part) {
			stream_flush(m, true);
			continue;
		}
		memcpy(m->buf + m->count, p, part);
		m->count += part;
		p += part;
		len -= part;
	}
	if (!reserve(m, len))
		return;
	memcpy(m->buf + m->count, p, len);
	m->count += len;
}

void seq_puts(seq_file *m, const char *s) { seq_write(m, s, strlen(s)); }

void seq_putc(seq_file *m, char c)
{
	if (reserve(m, 1))
		m->buf[m->count++] = c;
}

void seq_vprintf(seq_file *m, const char *fmt, va_list ap)
{
	for (int attempt = 0; attempt < 3 && !m->overflowed; attempt++) {
		usize room = m->size - m->count;
		va_list aq;
		va_copy(aq, ap);
		int len = kstd::vsnprintf(m->buf + m->count, room, fmt, aq);
		va_end(aq);
		// vsnprintf needs room for its NUL: text that fills the room exactly did not fit.
		if (static_cast<usize>(len) < room) {
			m->count += static_cast<usize>(len);
			return;
		}
		if (!m->flush)
			break;
		// Room for the whole text (and its NUL), flushing lines first, everything second.
		stream_flush(m, attempt > 0);
		if (static_cast<usize>(len) >= m->size) {
			// Longer than the stream buffer: what fits goes out truncated (one line of a
			// console command never is; this only keeps the stream going).
			stream_flush(m, true);
			int got = kstd::vscnprintf(m->buf, m->size, fmt, ap);
			m->count = static_cast<usize>(got);
			return;
		}
	}
	set_overflow(m);
}

void seq_printf(seq_file *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	seq_vprintf(m, fmt, ap);
	va_end(ap);
}

void seq_put_decimal_ull_width(seq_file *m, const char *delimiter, unsigned long long num, unsigned width)
{
	if (delimiter && delimiter[0]) {
		if (!delimiter[1])
			seq_putc(m, delimiter[0]);
		else
			seq_puts(m, delimiter);
	}
	char digits[24];
	unsigned n = 0;
	do {
		digits[n++] = static_cast<char>('0' + num % 10);
		num /= 10;
	} while (num);
	unsigned total = width > n ? width : n;
	if (!reserve(m, total))
		return;
	for (unsigned i = n; i < total; i++)
		m->buf[m->count++] = ' ';
	while (n)
		m->buf[m->count++] = digits[--n];
}

void seq_put_decimal_ull(seq_file *m, const char *delimiter, unsigned long long num)
{
	seq_put_decimal_ull_width(m, delimiter, num, 0);
}

void seq_put_decimal_ll(seq_file *m, const char *delimiter, long long num)
{
	if (num < 0) {
		if (delimiter && delimiter[0])
			seq_puts(m, delimiter);
		seq_putc(m, '-');
		seq_put_decimal_ull_width(m, nullptr, 0ull - static_cast<unsigned long long>(num), 0);
		return;
	}
	seq_put_decimal_ull_width(m, delimiter, static_cast<unsigned long long>(num), 0);
}

void seq_put_hex_ll(seq_file *m, const char *delimiter, unsigned long long num, unsigned width)
{
	if (delimiter && delimiter[0])
		seq_puts(m, delimiter);
	char digits[16];
	unsigned n = 0;
	do {
		digits[n++] = "0123456789abcdef"[num & 15];
		num >>= 4;
	} while (num);
	unsigned total = width > n ? width : n;
	if (!reserve(m, total))
		return;
	for (unsigned i = n; i < total; i++)
		m->buf[m->count++] = '0';
	while (n)
		m->buf[m->count++] = digits[--n];
}

void seq_setwidth(seq_file *m, usize size) { m->pad_until = m->flushed + m->count + size; }

void seq_pad(seq_file *m, char c)
{
	usize pos = m->flushed + m->count;
	if (m->pad_until > pos) {
		usize n = m->pad_until - pos;
		while (n && !m->overflowed) {
			usize part = n < 64 ? n : 64;
			if (!reserve(m, part))
				return;
			memset(m->buf + m->count, ' ', part);
			m->count += part;
			n -= part;
		}
	}
	if (c)
		seq_putc(m, c);
}

void seq_escape(seq_file *m, const char *s, const char *esc)
{
	for (; *s; s++) {
		if (strchr(esc, *s)) {
			unsigned char c = static_cast<unsigned char>(*s);
			char o[4] = {'\\', static_cast<char>('0' + ((c >> 6) & 7)), static_cast<char>('0' + ((c >> 3) & 7)),
				     static_cast<char>('0' + (c & 7))};
			seq_write(m, o, 4);
		} else {
			seq_putc(m, *s);
		}
	}
}

// --- streaming to a printf sink ------------------------------------------------------------------
namespace {

void sink_flush(seq_file *m, const char *s, usize n)
{
	auto out = reinterpret_cast<printf_sink_t>(m->flush_arg);
	// One call per line: printk stamps each call, the console writes it as it is.
	while (n) {
		usize len = 0;
		while (len < n && s[len] != '\n')
			len++;
		if (len < n)
			len++;
		out("%.*s", static_cast<int>(len), s);
		s += len;
		n -= len;
	}
}

} // namespace

void seq_show_to_sink(printf_sink_t out, seq_show_t show, void *private_data)
{
	char buf[SINK_BUF];
	seq_file m;
	m.buf = buf;
	m.size = sizeof(buf);
	m.flush = sink_flush;
	m.flush_arg = reinterpret_cast<void *>(out);
	m.private_data = private_data;
	int r = show(&m, private_data);
	stream_flush(&m, true);
	if (r < 0)
		out("(error %d)\n", r);
}

void seq_show_to_sink(printf_sink_t out, void (*show)(seq_file *))
{
	seq_show_to_sink(
		out,
		[](seq_file *m, void *fn) {
			reinterpret_cast<void (*)(seq_file *)>(fn)(m);
			return 0;
		},
		reinterpret_cast<void *>(show));
}

// --- buffer mode -------------------------------------------------------------------------------------
Result seq_generate(seq_file *m)
{
	usize size = m->size ? m->size : SEQ_FIRST_BUF;
	for (;;) {
		if (!m->buf || m->size != size) {
			if (m->owns_buf)
				delete[] m->buf;
			m->buf = new (std::nothrow) char[size];
			m->owns_buf = m->buf != nullptr;
			m->size = m->buf ? size : 0;
			if (!m->buf)
				return Errno::ENOMEM;
		}
		m->count = 0;
		m->overflowed = false;
		m->pad_until = 0;
		m->flushed = 0;
		int r = m->show(m, m->private_data);
		if (r < 0) {
			m->count = 0;
			return static_cast<Errno>(-r);
		}
		if (!m->overflowed)
			return {};
		// Linux's seq_read: throw the text away and run show again with twice the buffer.
		if (size >= SEQ_MAX_BUF)
			return Errno::ENOMEM;
		size *= 2;
	}
}

ErrorOr<seq_view> seq_single_prepare(seq_file *m, i64 pos)
{
	if (pos < 0)
		return Errno::EINVAL;
	if (!m->generated || pos != m->read_pos) {
		m->generated = false;
		Result r = seq_generate(m);
		if (r.is_error())
			return r.error();
		m->generated = true;
		m->read_pos = pos;
	}
	if (static_cast<u64>(pos) >= m->count)
		return seq_view{m->buf, 0};
	return seq_view{m->buf + pos, m->count - static_cast<usize>(pos)};
}

void seq_release(seq_file *m)
{
	if (m->owns_buf)
		delete[] m->buf;
	m->buf = nullptr;
	m->size = m->count = 0;
	m->owns_buf = false;
	m->generated = false;
}
