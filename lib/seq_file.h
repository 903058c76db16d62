// Linux's seq_file (include/linux/seq_file.h, fs/seq_file.c), reduced to what /proc needs: one
// generator per file writes text into a seq_file with seq_printf and friends, and the same
// generator feeds both a /proc file and the console command of the same name.
//
// Two ways to run a generator:
// - Into a buffer (a /proc read): seq_single_prepare() runs show() into a kernel buffer that
//   starts at one page and doubles while show() overflows it, as Linux's seq_read does, and
//   keeps the text so that a file read in pieces sees one consistent snapshot. A read at
//   another offset than where the last one ended (pread, lseek) regenerates the text first
//   (Linux's traverse() for single_open files).
// - Streamed to a printf sink (the console, printk): seq_show_to_sink() formats into a small
//   buffer on the stack and hands it on in whole lines whenever it fills, so the console needs
//   no allocation and a long file (zoneinfo, slabinfo) prints however little memory is free.
//
// A primitive that does not fit marks the file overflowed (Linux's seq_has_overflowed); the
// buffer runner retries with a bigger buffer, the streaming one prints what fitted. Text is
// bytes: the generators write no NULs except where Linux does (cmdline, environ: seq_write).
#pragma once

#include <stdarg.h>

#include "core/printk.h"
#include "kstd/result.h"
#include "kstd/types.h"

struct seq_file;
// A generator: writes the file's whole text into m. private_data is seq_file::private_data.
// 0 or -errno (the read fails with it).
using seq_show_t = int (*)(seq_file *m, void *private_data);

struct seq_file {
	char *buf = nullptr; // the text, buf[0..count)
	usize size = 0;      // bytes at buf
	usize count = 0;     // bytes written (== size and overflowed once something did not fit)
	bool overflowed = false;
	usize pad_until = 0; // seq_setwidth's target, as a stream position (flushed + count)
	usize flushed = 0;   // bytes already handed to the sink (streaming)
	// Streaming: called with whole lines when the buffer fills and at the end.
	void (*flush)(seq_file *m, const char *s, usize n) = nullptr;
	void *flush_arg = nullptr;
	// Buffer mode: the generator and its argument, and the read state.
	seq_show_t show = nullptr;
	void *private_data = nullptr;
	bool generated = false; // buf holds the text of the current snapshot
	i64 read_pos = 0;       // where the last read ended
	bool owns_buf = false;  // buf came from seq_single_prepare (freed by seq_release)
};

// --- output primitives (Linux's names and semantics) ---------------------------------------------
[[gnu::format(printf, 2, 3)]] void seq_printf(seq_file *m, const char *fmt, ...);
[[gnu::format(printf, 2, 0)]] void seq_vprintf(seq_file *m, const char *fmt, va_list ap);
void seq_puts(seq_file *m, const char *s);
void seq_putc(seq_file *m, char c);
void seq_write(seq_file *m, const void *data, usize len);
// delimiter then num in decimal (Linux's seq_put_decimal_ull; a NULL or "" delimiter writes none).
void seq_put_decimal_ull(seq_file *m, const char *delimiter, unsigned long long num);
// The same, right-aligned in width columns (Linux's seq_put_decimal_ull_width).
void seq_put_decimal_ull_width(seq_file *m, const char *delimiter, unsigned long long num, unsigned width);
void seq_put_decimal_ll(seq_file *m, const char *delimiter, long long num);
// num as hex, zero-padded to width (Linux's seq_put_hex_ll).
void seq_put_hex_ll(seq_file *m, const char *delimiter, unsigned long long num, unsigned width);
// Linux's seq_setwidth/seq_pad: seq_pad writes spaces up to `size` bytes after the point where
// seq_setwidth was called (none once the text is past it), then c unless it is 0.
void seq_setwidth(seq_file *m, usize size);
void seq_pad(seq_file *m, char c);
// s with every character of esc written as a backslash and three octal digits (Linux's
// seq_escape: mount paths with spaces in /proc/mounts).
void seq_escape(seq_file *m, const char *s, const char *esc);
inline bool seq_has_overflowed(const seq_file *m) { return m->overflowed; }

// --- running a generator ------------------------------------------------------------------------
// Streams show's text to out in whole lines through a stack buffer (the console commands,
// printk). Lines longer than the buffer are split.
void seq_show_to_sink(printf_sink_t out, seq_show_t show, void *private_data = nullptr);
// The same for a generator of the form void f(seq_file *) (the mm reporters).
void seq_show_to_sink(printf_sink_t out, void (*show)(seq_file *));

// A buffer-mode seq_file for show (Linux's single_open). The buffer is allocated on first use.
inline void seq_single_init(seq_file *m, seq_show_t show, void *private_data)
{
	*m = seq_file{};
	m->show = show;
	m->private_data = private_data;
}
// The text to copy for a read at pos: regenerates when nothing was generated yet or pos is not
// where the last read ended; returns the bytes from pos to the end (empty at or past it).
// ENOMEM when the buffer cannot grow; show's own error.
struct seq_view {
	const char *data;
	usize len;
};
ErrorOr<seq_view> seq_single_prepare(seq_file *m, i64 pos);
// The reader took n bytes of the view it got for pos.
inline void seq_single_consumed(seq_file *m, i64 pos, usize n) { m->read_pos = pos + static_cast<i64>(n); }
// A seek: the next read regenerates (Linux's seq_lseek resets the iterator).
inline void seq_single_reset(seq_file *m) { m->generated = false; }
// Frees the buffer (Linux's single_release).
void seq_release(seq_file *m);
// Runs show once into a fresh buffer (growing as needed) and returns it: the caller owns
// m->buf (seq_release). For writers that need the text whole (tests, the console's `proc`).
[[nodiscard]] Result seq_generate(seq_file *m);
