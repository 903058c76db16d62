// The N_TTY line discipline (see kernel/n_tty.h); each function names the Linux 6.1 function
// of drivers/tty/n_tty.c whose rules it follows.
#include "kernel/n_tty.h"

namespace tty {

// "\003\034\177\025\004\0\1\0\021\023\032\0\022\017\027\026\0" (include/linux/tty.h INIT_C_CC).
// c_cflag is what Debian's Linux 6.1 reports for /dev/console on QEMU virt's PL011 with
// console=ttyAMA0 (user/ktest_tty.c logs it): B38400 | CS8 | CREAD | HUPCL | CLOCAL.
termios default_termios()
{
	termios t{};
	t.c_iflag = ICRNL | IXON;
	t.c_oflag = OPOST | ONLCR;
	t.c_cflag = B38400 | CS8 | CREAD | HUPCL | CLOCAL;
	t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	const u8 cc[] = {3, 034, 0177, 025, 4, 0, 1, 0, 021, 023, 032, 0, 022, 017, 027, 026, 0};
	for (usize i = 0; i < sizeof(cc); i++)
		t.c_cc[i] = cc[i];
	return t;
}

NTty::NTty(OutputFn out, SignalFn sig, void *ctx, bool device_onlcr)
	: out_(out), sig_(sig), ctx_(ctx), device_onlcr_(device_onlcr), t_(default_termios())
{
	compute_char_map();
}

void NTty::clear_flags()
{
	for (u64 &w : flags_)
		w = 0;
}

// n_tty_set_termios: the char_map of characters that need more than "echo and queue", and
// raw mode when no input processing is on at all.
void NTty::compute_char_map()
{
	for (u64 &w : char_map_)
		w = 0;
	auto set = [&](u8 c) { char_map_[c / 64] |= 1ull << (c % 64); };
	if (I(ISTRIP) || I(IUCLC) || I(IGNCR) || I(ICRNL) || I(INLCR) || L(ICANON) || I(IXON) || L(ISIG) ||
	    L(ECHO) || I(PARMRK)) {
		raw_ = false;
		if (I(IGNCR) || I(ICRNL))
			set('\r');
		if (I(INLCR))
			set('\n');
		if (L(ICANON)) {
			set(cc(VERASE));
			set(cc(VKILL));
			set(cc(VEOF));
			set('\n');
			set(cc(VEOL));
			if (L(IEXTEN)) {
				set(cc(VWERASE));
				set(cc(VLNEXT));
				set(cc(VEOL2));
				if (L(ECHO))
					set(cc(VREPRINT));
			}
		}
		if (I(IXON)) {
			set(cc(VSTART));
			set(cc(VSTOP));
		}
		if (L(ISIG)) {
			set(cc(VINTR));
			set(cc(VQUIT));
			set(cc(VSUSP));
		}
		char_map_[0] &= ~1ull; // __DISABLED_CHAR (0) is never special
	} else {
		raw_ = true;
	}
}

void NTty::set_termios(const termios &nt)
{
	bool canon_changed = (t_.c_lflag ^ nt.c_lflag) & (ICANON | EXTPROC);
	bool ixon_off = (t_.c_iflag & IXON) && !(nt.c_iflag & IXON);
	t_ = nt;
	if (canon_changed) {
		clear_flags();
		if (!L(ICANON) || !read_cnt()) {
			canon_head_ = read_tail_;
		} else {
			// Raw -> canonical with bytes buffered: they become one line (Linux's push).
			set_flag(read_head_ - 1);
			canon_head_ = read_head_;
		}
		erasing_ = false;
		lnext_ = false;
	}
	icanon_ = L(ICANON);
	compute_char_map();
	if (ixon_off)
		stopped_ = false;
}

void NTty::flush_input()
{
	read_head_ = read_tail_ = canon_head_ = 0;
	erasing_ = false;
	clear_flags();
}

// --- output ------------------------------------------------------------------------------------

// do_output_char with OPOST; the raw byte otherwise.
void NTty::output_char(u8 c)
{
	if (!O(OPOST)) {
		put1(static_cast<char>(c));
		return;
	}
	switch (c) {
	case '\n':
		if (O(ONLRET))
			column_ = 0;
		if (O(ONLCR)) {
			canon_column_ = column_ = 0;
			if (device_onlcr_)
				put1('\n');
			else
				put("\r\n", 2);
			return;
		}
		canon_column_ = column_;
		break;
	case '\r':
		if (O(ONOCR) && column_ == 0)
			return;
		if (O(OCRNL)) {
			c = '\n';
			if (O(ONLRET))
				canon_column_ = column_ = 0;
			break;
		}
		canon_column_ = column_ = 0;
		break;
	case '\t': {
		unsigned spaces = 8 - (column_ & 7);
		if ((t_.c_oflag & TABDLY) == XTABS) {
			column_ += spaces;
			put("        ", spaces);
			return;
		}
		column_ += spaces;
		break;
	}
	case '\b':
		if (column_ > 0)
			column_--;
		break;
	default:
		if (!is_cntrl(c)) {
			if (O(OLCUC) && c >= 'a' && c <= 'z')
				c = static_cast<u8>(c - 'a' + 'A');
			if (!is_continuation(c))
				column_++;
		}
		break;
	}
	put1(static_cast<char>(c));
}

void NTty::write(const u8 *s, usize n)
{
	for (usize i = 0; i < n; i++)
		output_char(s[i]);
}

void NTty::echo_char_raw(u8 c) { output_char(c); }

// echo_char: control characters as "^X" under ECHOCTL (tab excepted), others as themselves.
void NTty::echo_char(u8 c)
{
	if (L(ECHOCTL) && is_cntrl(c) && c != '\t') {
		char pair[2] = {'^', static_cast<char>(c ^ 0100)};
		put(pair, 2);
		column_ += 2;
		return;
	}
	output_char(c);
}

// ECHO_OP_ERASE_TAB in __process_echoes: back to the tab stop the tab advanced from.
void NTty::echo_erase_tab(unsigned num_chars, bool after_tab)
{
	if (!after_tab)
		num_chars += canon_column_;
	unsigned num_bs = 8 - (num_chars & 7);
	while (num_bs--) {
		put1('\b');
		if (column_ > 0)
			column_--;
	}
}

void NTty::finish_erasing()
{
	if (erasing_) {
		echo_char_raw('/');
		erasing_ = false;
	}
}

// --- input -------------------------------------------------------------------------------------

bool NTty::is_prompt_char(u8 c) const
{
	if (c == 0 || raw_)
		return false;
	if (I(ISTRIP))
		c &= 0x7f;
	if (L(ISIG) && (c == cc(VINTR) || c == cc(VQUIT) || c == cc(VSUSP)))
		return true;
	return I(IXON) && (c == cc(VSTART) || c == cc(VSTOP));
}

// Canonical mode keeps the last slot for a line terminator, so that a line can always end
// (termios(3): "after 4095 characters ... any input data after 4095 characters up to (but not
// including) any terminating newline is discarded"); raw mode fills 4095 bytes, as Linux's
// receive_room.
bool NTty::room_for(bool terminator) const
{
	usize cnt = read_cnt();
	if (icanon_)
		return terminator ? cnt < BUF_SIZE : cnt < BUF_SIZE - 1;
	return cnt < BUF_SIZE - 1;
}

usize NTty::receive(const u8 *s, usize n)
{
	usize i = 0;
	for (; i < n; i++) {
		if (!icanon_ && !room_for(false)) {
			// Full: only the characters that act without being queued still go in.
			u8 c = s[i];
			if (!is_prompt_char(c))
				break;
		}
		receive_one(s[i]);
	}
	return i;
}

// n_tty_receive_buf_standard for one character.
void NTty::receive_one(u8 c)
{
	if (raw_) {
		if (room_for(false))
			put_queue(c);
		return;
	}
	if (lnext_) {
		// n_tty_receive_char_lnext: the next character is data, whatever it is.
		lnext_ = false;
		if (I(ISTRIP))
			c &= 0x7f;
		if (I(IUCLC) && L(IEXTEN) && c >= 'A' && c <= 'Z')
			c = static_cast<u8>(c - 'A' + 'a');
		receive_normal(c);
		return;
	}
	if (I(ISTRIP))
		c &= 0x7f;
	if (I(IUCLC) && L(IEXTEN) && c >= 'A' && c <= 'Z')
		c = static_cast<u8>(c - 'A' + 'a');
	if (L(EXTPROC)) {
		if (room_for(false))
			put_queue(c);
		return;
	}
	if (char_map_[c / 64] >> (c % 64) & 1)
		receive_special(c);
	else
		receive_normal(c);
}

// n_tty_receive_char.
void NTty::receive_normal(u8 c)
{
	if (stopped_ && I(IXON) && I(IXANY))
		stopped_ = false;
	if (!room_for(false))
		return; // past the line limit: dropped, not echoed
	if (L(ECHO)) {
		finish_erasing();
		if (canon_head_ == read_head_)
			canon_column_ = column_; // the column of the line's first character
		echo_char(c);
	}
	if (c == 0377 && I(PARMRK))
		put_queue(c);
	put_queue(c);
}

// n_tty_receive_signal_char and isig.
void NTty::receive_signal(int sig, u8 c)
{
	sig_(ctx_, sig);
	if (!L(NOFLSH))
		flush_input();
	if (I(IXON))
		stopped_ = false;
	if (L(ECHO))
		echo_char(c);
}

// The end of a canonical line: a newline, VEOL/VEOL2, or VEOF (queued as the disabled
// character 0 with its line-end flag: the reader stops there without copying it).
void NTty::end_line(u8 c)
{
	set_flag(read_head_);
	put_queue(c);
	canon_head_ = read_head_;
}

// n_tty_receive_char_special.
void NTty::receive_special(u8 c)
{
	if (I(IXON)) {
		if (c == cc(VSTART)) {
			stopped_ = false;
			return;
		}
		if (c == cc(VSTOP)) {
			stopped_ = true;
			return;
		}
	}
	if (L(ISIG)) {
		if (c == cc(VINTR)) {
			receive_signal(TTY_SIGINT, c);
			return;
		}
		if (c == cc(VQUIT)) {
			receive_signal(TTY_SIGQUIT, c);
			return;
		}
		if (c == cc(VSUSP)) {
			receive_signal(TTY_SIGTSTP, c);
			return;
		}
	}
	if (stopped_ && I(IXON) && I(IXANY))
		stopped_ = false;
	if (c == '\r') {
		if (I(IGNCR))
			return;
		if (I(ICRNL))
			c = '\n';
	} else if (c == '\n' && I(INLCR)) {
		c = '\r';
	}

	if (icanon_) {
		if (c == cc(VERASE) || c == cc(VKILL) || (c == cc(VWERASE) && L(IEXTEN))) {
			eraser(c);
			return;
		}
		if (c == cc(VLNEXT) && L(IEXTEN)) {
			lnext_ = true;
			if (L(ECHO)) {
				finish_erasing();
				if (L(ECHOCTL)) {
					// "^" then back over it: the next character overwrites it.
					put1('^');
					column_++;
					put1('\b');
					echo_move_back_col();
				}
			}
			return;
		}
		if (c == cc(VREPRINT) && L(ECHO) && L(IEXTEN)) {
			finish_erasing();
			echo_char(c);
			echo_char_raw('\n');
			for (usize i = canon_head_; i != read_head_; i++)
				echo_char(buf_at(i));
			return;
		}
		if (c == '\n') {
			if (!room_for(true))
				return;
			if (L(ECHO) || L(ECHONL))
				echo_char_raw('\n');
			end_line(c);
			return;
		}
		if (c == cc(VEOF)) {
			if (!room_for(true))
				return;
			end_line(0);
			return;
		}
		if (c == cc(VEOL) || (c == cc(VEOL2) && L(IEXTEN))) {
			if (!room_for(true))
				return;
			if (L(ECHO)) {
				if (canon_head_ == read_head_)
					canon_column_ = column_;
				echo_char(c);
			}
			if (c == 0377 && I(PARMRK))
				put_queue(c);
			end_line(c);
			return;
		}
	}

	if (!room_for(false))
		return;
	if (L(ECHO)) {
		finish_erasing();
		if (c == '\n') {
			echo_char_raw('\n');
		} else {
			if (canon_head_ == read_head_)
				canon_column_ = column_;
			echo_char(c);
		}
	}
	if (c == 0377 && I(PARMRK))
		put_queue(c);
	put_queue(c);
}

// eraser: VERASE one character, VWERASE one word (BSD's ALTWERASE: alphanumerics and '_'),
// VKILL the line; the echo rubs out what was displayed (ECHOE, ECHOPRT, ECHOK/ECHOKE).
void NTty::eraser(u8 c)
{
	enum { ERASE, WERASE, KILL } kill_type;
	if (read_head_ == canon_head_)
		return;
	if (c == cc(VERASE)) {
		kill_type = ERASE;
	} else if (c == cc(VWERASE)) {
		kill_type = WERASE;
	} else {
		if (!L(ECHO)) {
			read_head_ = canon_head_;
			return;
		}
		if (!L(ECHOK) || !L(ECHOKE) || !L(ECHOE)) {
			read_head_ = canon_head_;
			finish_erasing();
			echo_char(cc(VKILL));
			if (L(ECHOK))
				echo_char_raw('\n');
			return;
		}
		kill_type = KILL;
	}

	int seen_alnums = 0;
	while (read_head_ != canon_head_) {
		usize head = read_head_;
		// One possibly multibyte (IUTF8) character, never a part of one.
		do {
			head--;
			c = buf_at(head);
		} while (is_continuation(c) && head != canon_head_);
		if (is_continuation(c))
			break;
		if (kill_type == WERASE) {
			bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
			if (alnum)
				seen_alnums++;
			else if (seen_alnums)
				break;
		}
		usize cnt = read_head_ - head;
		read_head_ = head;
		if (L(ECHO)) {
			if (L(ECHOPRT)) {
				if (!erasing_) {
					echo_char_raw('\\');
					erasing_ = true;
				}
				echo_char(c);
				while (--cnt > 0) {
					head++;
					echo_char_raw(buf_at(head));
					echo_move_back_col();
				}
			} else if (kill_type == ERASE && !L(ECHOE)) {
				echo_char(cc(VERASE));
			} else if (c == '\t') {
				// The columns since the line's start or the previous tab decide how far
				// back the tab's erase goes.
				unsigned num_chars = 0;
				bool after_tab = false;
				for (usize tail = read_head_; tail != canon_head_;) {
					tail--;
					u8 p = buf_at(tail);
					if (p == '\t') {
						after_tab = true;
						break;
					}
					if (is_cntrl(p)) {
						if (L(ECHOCTL))
							num_chars += 2;
					} else if (!is_continuation(p)) {
						num_chars++;
					}
				}
				echo_erase_tab(num_chars, after_tab);
			} else {
				if (is_cntrl(c) && L(ECHOCTL)) {
					echo_char_raw('\b');
					echo_char_raw(' ');
					echo_char_raw('\b');
				}
				if (!is_cntrl(c) || L(ECHOCTL)) {
					echo_char_raw('\b');
					echo_char_raw(' ');
					echo_char_raw('\b');
				}
			}
		}
		if (kill_type == ERASE)
			break;
	}
	if (read_head_ == canon_head_ && L(ECHO))
		finish_erasing();
}

// --- reading -----------------------------------------------------------------------------------

bool NTty::input_available(usize amt) const
{
	if (icanon_ && !L(EXTPROC))
		return canon_head_ != read_tail_;
	return read_cnt() >= amt;
}

// canon_copy_from_read_buf: up to the first line end; the EOF character is consumed, not copied.
usize NTty::read_canon(u8 *dst, usize n, bool *line_done)
{
	*line_done = false;
	usize avail = canon_head_ - read_tail_;
	if (n > avail)
		n = avail;
	usize copied = 0;
	while (copied < n) {
		usize pos = read_tail_;
		u8 c = buf_at(pos);
		bool eol = flag_at(pos);
		if (eol) {
			clear_flag(pos);
			read_tail_++;
			if (c != 0)
				dst[copied++] = c;
			*line_done = true;
			return copied;
		}
		dst[copied++] = c;
		read_tail_++;
	}
	return copied;
}

usize NTty::read_raw(u8 *dst, usize n)
{
	usize avail = read_cnt();
	if (n > avail)
		n = avail;
	for (usize i = 0; i < n; i++) {
		clear_flag(read_tail_); // a line flag left from canonical mode means nothing now
		dst[i] = buf_at(read_tail_++);
	}
	return n;
}

// inq_canon / read_cnt.
usize NTty::inq() const
{
	if (!icanon_ || L(EXTPROC))
		return read_cnt();
	usize nr = canon_head_ - read_tail_;
	for (usize i = read_tail_; i != canon_head_; i++)
		if (flag_at(i) && buf_at(i) == 0)
			nr--;
	return nr;
}

} // namespace tty
