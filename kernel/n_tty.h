// The N_TTY line discipline (Linux's drivers/tty/n_tty.c), as a pure state machine: input
// processing (ICRNL, ISTRIP, ...), canonical line editing (VERASE, VKILL, VWERASE, VLNEXT,
// VREPRINT, VEOF, VEOL), ISIG (VINTR, VQUIT, VSUSP), IXON flow control, echo (ECHOCTL's ^X,
// ECHOE's "\b \b", ECHOK/ECHOKE, ECHONL, ECHOPRT) with Linux's column tracking for tab erase,
// output processing (OPOST) and the read side (one line per canonical read, VMIN/VTIME counts
// in raw mode). It owns no lock and never sleeps: kernel/tty.cpp wraps it with the lock, the
// wait queues, the console driver and the process-group signals, and the host suite drives it
// directly (tests/host/test_n_tty.cpp).
//
// Differences from Linux, kept visible: echo is written synchronously through the output
// callback (Linux queues it in echo_buf and flushes it from the receive path, which is the
// same byte stream); there are no break or parity flags (the UART ring carries plain bytes,
// so IGNBRK/BRKINT/PARMRK/INPCK change nothing); the output device translates '\n' to "\r\n"
// itself (device_onlcr: ONLCR then emits just '\n').
#pragma once

#include "kstd/types.h"

namespace tty {

// asm-generic/termbits.h.
inline constexpr unsigned NCCS = 19;
inline constexpr unsigned VINTR = 0, VQUIT = 1, VERASE = 2, VKILL = 3, VEOF = 4, VTIME = 5, VMIN = 6,
			  VSWTC = 7, VSTART = 8, VSTOP = 9, VSUSP = 10, VEOL = 11, VREPRINT = 12,
			  VDISCARD = 13, VWERASE = 14, VLNEXT = 15, VEOL2 = 16;
// c_iflag
inline constexpr u32 IGNBRK = 01, BRKINT = 02, IGNPAR = 04, PARMRK = 010, INPCK = 020, ISTRIP = 040,
		     INLCR = 0100, IGNCR = 0200, ICRNL = 0400, IUCLC = 01000, IXON = 02000, IXANY = 04000,
		     IXOFF = 010000, IMAXBEL = 020000, IUTF8 = 040000;
// c_oflag
inline constexpr u32 OPOST = 01, OLCUC = 02, ONLCR = 04, OCRNL = 010, ONOCR = 020, ONLRET = 040,
		     TABDLY = 014000, XTABS = 014000;
// c_cflag
inline constexpr u32 CBAUD = 0010017, B38400 = 017, B115200 = 0010002, CSIZE = 060, CS8 = 060, CREAD = 0200,
		     HUPCL = 02000, CLOCAL = 04000;
// c_lflag
inline constexpr u32 ISIG = 01, ICANON = 02, XCASE = 04, ECHO = 010, ECHOE = 020, ECHOK = 040,
		     ECHONL = 0100, NOFLSH = 0200, TOSTOP = 0400, ECHOCTL = 01000, ECHOPRT = 02000,
		     ECHOKE = 04000, FLUSHO = 010000, PENDIN = 040000, IEXTEN = 0100000, EXTPROC = 0200000;

// struct termios as TCGETS/TCSETS copy it (asm-generic, 36 bytes).
struct termios {
	u32 c_iflag, c_oflag, c_cflag, c_lflag;
	u8 c_line;
	u8 c_cc[NCCS];
};
static_assert(sizeof(termios) == 36);

// Linux's tty_std_termios (drivers/tty/tty_io.c) with the serial console's c_cflag: ICRNL|IXON,
// OPOST|ONLCR, ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN, INIT_C_CC.
termios default_termios();

// Signal numbers the discipline raises (asm-generic/signal.h).
inline constexpr int TTY_SIGINT = 2, TTY_SIGQUIT = 3, TTY_SIGTSTP = 20;

class NTty {
public:
	static constexpr usize BUF_SIZE = 4096; // N_TTY_BUF_SIZE
	// Output bytes (echo and processed writes), in order.
	using OutputFn = void (*)(void *ctx, const char *s, usize n);
	// An ISIG character was received: send sig to the foreground process group. Called
	// before the input is flushed and the character echoed, as Linux's isig().
	using SignalFn = void (*)(void *ctx, int sig);

	NTty(OutputFn out, SignalFn sig, void *ctx, bool device_onlcr);
	NTty(const NTty &) = delete;
	NTty &operator=(const NTty &) = delete;

	const termios &get_termios() const { return t_; }
	// Linux's n_tty_set_termios: switching ICANON on makes what is buffered one line, off
	// makes it all readable; flow control stopped by ^S restarts when IXON goes off.
	void set_termios(const termios &t);

	// Processes received bytes in order; returns how many it took. Raw mode stops when the
	// buffer is full (the caller keeps the rest, as Linux's receive_room); canonical mode
	// always takes everything (characters past the line limit are dropped, see receive_char).
	usize receive(const u8 *s, usize n);
	// Whether c has to be processed on arrival rather than when a reader wants it: a signal
	// or flow-control character under the current termios.
	bool is_prompt_char(u8 c) const;

	// Linux's input_available_p: a complete line (canonical) or at least `amt` bytes (raw).
	bool input_available(usize amt = 1) const;
	bool icanon() const { return icanon_; }
	// Canonical read: copies up to n bytes of the first line (its terminator included, an
	// EOF character excluded); *line_done is set when the line's end was consumed, which
	// ends the read(). 0 with *line_done: EOF.
	usize read_canon(u8 *dst, usize n, bool *line_done);
	// Raw read: copies up to n buffered bytes.
	usize read_raw(u8 *dst, usize n);
	// FIONREAD/TIOCINQ: canonical mode counts complete lines without their EOF characters.
	usize inq() const;
	// Bytes buffered, lines complete or not.
	usize read_cnt() const { return read_head_ - read_tail_; }
	// TCFLSH(TCIFLUSH), TCSETSF and ISIG without NOFLSH (Linux's reset_buffer_flags).
	void flush_input();

	// Output processing (OPOST, ONLCR, OCRNL, ONOCR, ONLRET, OLCUC, XTABS) of a write.
	void write(const u8 *s, usize n);
	// Output stopped by VSTOP (IXON) until VSTART, or any character with IXANY.
	bool stopped() const { return stopped_; }
	void start() { stopped_ = false; }
	void stop() { stopped_ = true; }
	unsigned column() const { return column_; }

private:
	static bool is_cntrl(u8 c) { return c < 0x20 || c == 0x7f; }
	bool is_continuation(u8 c) const { return (t_.c_iflag & IUTF8) && (c & 0xc0) == 0x80; }
	bool L(u32 f) const { return t_.c_lflag & f; }
	bool I(u32 f) const { return t_.c_iflag & f; }
	bool O(u32 f) const { return t_.c_oflag & f; }
	u8 cc(unsigned i) const { return t_.c_cc[i]; }
	u8 buf_at(usize i) const { return buf_[i & (BUF_SIZE - 1)]; }
	bool flag_at(usize i) const { return flags_[(i & (BUF_SIZE - 1)) / 64] >> (i & 63) & 1; }
	void set_flag(usize i) { flags_[(i & (BUF_SIZE - 1)) / 64] |= 1ull << (i & 63); }
	void clear_flag(usize i) { flags_[(i & (BUF_SIZE - 1)) / 64] &= ~(1ull << (i & 63)); }
	void clear_flags();
	void put_queue(u8 c) { buf_[read_head_++ & (BUF_SIZE - 1)] = c; }

	void receive_one(u8 c);
	void receive_normal(u8 c);
	void receive_special(u8 c);
	void receive_signal(int sig, u8 c);
	bool room_for(bool terminator) const;
	void end_line(u8 c);
	void eraser(u8 c);
	void compute_char_map();

	// Echo and output (Linux's echo_char, echo_char_raw, do_output_char).
	void put(const char *s, usize n) { out_(ctx_, s, n); }
	void put1(char c) { out_(ctx_, &c, 1); }
	void output_char(u8 c);
	void echo_char_raw(u8 c);
	void echo_char(u8 c);
	void echo_erase_tab(unsigned num_chars, bool after_tab);
	void echo_move_back_col() { if (column_ > 0) column_--; }
	void finish_erasing();

	OutputFn out_;
	SignalFn sig_;
	void *ctx_;
	bool device_onlcr_;
	termios t_;
	bool icanon_ = true;
	bool raw_ = false; // no input processing at all (Linux's ldata->raw)
	u64 char_map_[4] = {};

	u8 buf_[BUF_SIZE];
	u64 flags_[BUF_SIZE / 64] = {}; // line ends (Linux's read_flags)
	usize read_head_ = 0, read_tail_ = 0, canon_head_ = 0;
	bool lnext_ = false, erasing_ = false, stopped_ = false;
	unsigned column_ = 0, canon_column_ = 0;
};

} // namespace tty
