// The N_TTY line discipline (kernel/n_tty.cpp) on the host: line editing, echo bytes, signals,
// input translation and the raw-mode read rules, each against what Linux 6.1's n_tty does for
// the same input.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kernel/n_tty.h"

using namespace tty;

namespace {

struct Term {
	std::string out;
	std::vector<int> sigs;
	NTty ld;
	// The console's device adds the CR of "\r\n" itself; onlcr_dev false shows the ldisc's.
	explicit Term(bool onlcr_dev = true) : ld(&Term::on_out, &Term::on_sig, this, onlcr_dev) {}
	static void on_out(void *c, const char *s, usize n) { static_cast<Term *>(c)->out.append(s, n); }
	static void on_sig(void *c, int sig) { static_cast<Term *>(c)->sigs.push_back(sig); }
	usize type(const std::string &s) { return ld.receive(reinterpret_cast<const u8 *>(s.data()), s.size()); }
	// One canonical read() of up to n bytes: "" with eof for an end-of-file.
	std::string read_line(usize n = 4096, bool *eof = nullptr)
	{
		std::string r;
		bool done = false;
		while (!done && r.size() < n && ld.input_available()) {
			u8 tmp[64];
			usize want = std::min<usize>(sizeof(tmp), n - r.size());
			usize k = ld.read_canon(tmp, want, &done);
			r.append(reinterpret_cast<char *>(tmp), k);
		}
		if (eof)
			*eof = done && r.empty();
		return r;
	}
	std::string read_raw(usize n = 4096)
	{
		std::string r(n, '\0');
		r.resize(ld.read_raw(reinterpret_cast<u8 *>(r.data()), n));
		return r;
	}
	void set_lflag(u32 on, u32 off)
	{
		termios t = ld.get_termios();
		t.c_lflag = (t.c_lflag | on) & ~off;
		ld.set_termios(t);
	}
	void set_iflag(u32 on, u32 off)
	{
		termios t = ld.get_termios();
		t.c_iflag = (t.c_iflag | on) & ~off;
		ld.set_termios(t);
	}
	void set_cc(unsigned i, u8 v)
	{
		termios t = ld.get_termios();
		t.c_cc[i] = v;
		ld.set_termios(t);
	}
};

} // namespace

TEST_CASE("n_tty: defaults are Linux's tty_std_termios")
{
	termios t = default_termios();
	CHECK(t.c_iflag == 0x500);  // ICRNL | IXON
	CHECK(t.c_oflag == 0x5);    // OPOST | ONLCR
	CHECK(t.c_lflag == 0x8a3b); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
	const u8 cc[17] = {3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0};
	for (int i = 0; i < 17; i++)
		CHECK(t.c_cc[i] == cc[i]);
}

TEST_CASE("n_tty: a canonical line is readable only once complete, echoed as typed")
{
	Term t;
	t.type("hello");
	CHECK(!t.ld.input_available());
	CHECK(t.out == "hello");
	t.type("\n");
	CHECK(t.ld.input_available());
	CHECK(t.out == "hello\n");
	CHECK(t.read_line() == "hello\n");
	CHECK(!t.ld.input_available());
}

TEST_CASE("n_tty: ICRNL turns CR into NL; without it CR is data and echoes as ^M")
{
	Term t;
	t.type("ab\r");
	CHECK(t.read_line() == "ab\n");
	CHECK(t.out == "ab\n");
	t.set_iflag(0, ICRNL);
	t.out.clear();
	t.type("c\r\n");
	CHECK(t.read_line() == "c\r\n");
	CHECK(t.out == "c^M\n");
	t.set_iflag(IGNCR, 0);
	t.type("d\re\n");
	CHECK(t.read_line() == "de\n");
}

TEST_CASE("n_tty: VERASE removes one character and rubs it out (ECHOE)")
{
	Term t;
	t.type("abc\x7f\x7f" "d\n");
	CHECK(t.read_line() == "ad\n");
	CHECK(t.out == "abc\b \b\b \bd\n");
	// Erasing at the line start does nothing, and ^H is data (VERASE is ^? only).
	t.out.clear();
	t.type("\x7fx\bq\n");
	CHECK(t.read_line() == "x\bq\n");
	CHECK(t.out == "x^Hq\n");
	// A control character shown as ^X takes two rub-outs.
	t.out.clear();
	t.type("\x01\x7f\n");
	CHECK(t.read_line() == "\n");
	CHECK(t.out == "^A\b \b\b \b\n");
}

TEST_CASE("n_tty: erase without ECHOE echoes the erase character; ECHOPRT prints what goes")
{
	Term t;
	t.set_lflag(0, ECHOE);
	t.type("ab\x7f\n");
	CHECK(t.read_line() == "a\n");
	CHECK(t.out == "ab^?\n");
	Term p;
	p.set_lflag(ECHOPRT, 0);
	p.type("abc\x7f\x7f" "d\n");
	CHECK(p.read_line() == "ad\n");
	CHECK(p.out == "abc\\cb/d\n");
}

TEST_CASE("n_tty: VKILL erases the whole line; ECHOKE rubs it out, plain ECHOK prints it and a newline")
{
	Term t;
	t.type("junk\x15ok\n");
	CHECK(t.read_line() == "ok\n");
	CHECK(t.out == "junk\b \b\b \b\b \b\b \bok\n");
	Term k;
	k.set_lflag(0, ECHOKE);
	k.type("junk\x15ok\n");
	CHECK(k.read_line() == "ok\n");
	CHECK(k.out == "junk^U\nok\n");
}

TEST_CASE("n_tty: VWERASE erases the last word and the blanks after it")
{
	Term t;
	t.type("foo bar  \x17" "baz\n");
	CHECK(t.read_line() == "foo baz\n");
	CHECK(t.out == "foo bar  \b \b\b \b\b \b\b \b\b \bbaz\n");
	// Without IEXTEN ^W is data.
	Term n;
	n.set_lflag(0, IEXTEN);
	n.type("a\x17\n");
	CHECK(n.read_line() == "a\x17\n");
}

TEST_CASE("n_tty: VEOF at the line start is end-of-file, elsewhere it ends the line without a newline")
{
	Term t;
	bool eof = false;
	t.type("\x04");
	CHECK(t.ld.input_available());
	CHECK(t.read_line(4096, &eof) == "");
	CHECK(eof);
	t.type("xy\x04");
	CHECK(t.read_line(4096, &eof) == "xy");
	CHECK(!eof);
	CHECK(t.out == "xy"); // EOF is not echoed
	CHECK(t.ld.inq() == 0);
	t.type("\x04" "a\n");
	CHECK(t.ld.inq() == 2); // the EOF character is not counted
}

TEST_CASE("n_tty: VEOL ends a line and is part of it")
{
	Term t;
	t.set_cc(VEOL, ';');
	t.type("a;b");
	CHECK(t.read_line() == "a;");
	CHECK(!t.ld.input_available());
}

TEST_CASE("n_tty: one canonical read returns at most one line, a short read the rest later")
{
	Term t;
	t.type("a\nbcdef\n");
	CHECK(t.ld.inq() == 8);
	CHECK(t.read_line() == "a\n");
	CHECK(t.read_line(2) == "bc");
	CHECK(t.read_line() == "def\n");
}

TEST_CASE("n_tty: VLNEXT quotes the next character; VREPRINT redisplays the line")
{
	Term t;
	t.type("a\x16\x7f" "b\n");
	CHECK(t.read_line() == "a\x7f" "b\n");
	CHECK(t.out == "a^\b^?b\n");
	t.out.clear();
	t.type("xy\x12");
	CHECK(t.out == "xy^R\nxy");
	t.type("\n");
	CHECK(t.read_line() == "xy\n");
}

TEST_CASE("n_tty: ^C raises SIGINT, flushes the input and echoes ^C; NOFLSH keeps the input")
{
	Term t;
	t.type("abc\x03");
	REQUIRE(t.sigs.size() == 1);
	CHECK(t.sigs[0] == TTY_SIGINT);
	CHECK(t.out == "abc^C");
	t.type("d\n");
	CHECK(t.read_line() == "d\n");
	// Complete lines go too.
	t.type("line\n\x1c");
	CHECK(t.sigs.back() == TTY_SIGQUIT);
	CHECK(!t.ld.input_available());
	t.type("\x1a");
	CHECK(t.sigs.back() == TTY_SIGTSTP);
	CHECK(t.sigs.size() == 3);

	Term n;
	n.set_lflag(NOFLSH, 0);
	n.type("abc\x03" "d\n");
	CHECK(n.sigs.size() == 1);
	CHECK(n.read_line() == "abcd\n");
	// Without ISIG ^C is data; a changed VINTR is the new interrupt character.
	Term d;
	d.set_lflag(0, ISIG);
	d.type("\x03\n");
	CHECK(d.sigs.empty());
	CHECK(d.read_line() == "\x03\n");
	Term v;
	v.set_cc(VINTR, 'x');
	v.type("x\x03\n");
	CHECK(v.sigs.size() == 1);
	CHECK(v.read_line() == "\x03\n");
	CHECK(v.ld.is_prompt_char('x'));
	CHECK(!v.ld.is_prompt_char(3));
}

TEST_CASE("n_tty: without ECHO nothing is echoed; ECHONL still echoes newlines")
{
	Term t;
	t.set_lflag(0, ECHO);
	t.type("secret\x03pw\n");
	CHECK(t.out == "");
	CHECK(t.read_line() == "pw\n");
	t.set_lflag(ECHONL, 0);
	t.type("pw\n");
	CHECK(t.out == "\n");
}

TEST_CASE("n_tty: tab erase goes back to the tab stop, counting from the line's start column")
{
	Term t;
	const u8 prompt[] = {'$', ' '};
	t.ld.write(prompt, 2); // the line starts at column 2
	t.out.clear();
	t.type("ab\t");
	CHECK(t.ld.column() == 8);
	t.type("\x7f");
	CHECK(t.out == "ab\t\b\b\b\b");
	CHECK(t.ld.column() == 4);
	t.type("\n");
	CHECK(t.read_line() == "ab\n");
}

TEST_CASE("n_tty: output processing: ONLCR, OCRNL, ONOCR, OLCUC, XTABS and raw output")
{
	Term t(false);
	auto w = [&](const std::string &s) {
		t.out.clear();
		t.ld.write(reinterpret_cast<const u8 *>(s.data()), s.size());
		return t.out;
	};
	CHECK(w("a\nb") == "a\r\nb");
	termios tm = t.ld.get_termios();
	tm.c_oflag |= OCRNL | OLCUC;
	t.ld.set_termios(tm);
	CHECK(w("ab\r") == "AB\n"); // OCRNL: the NL is not ONLCR-processed again
	tm.c_oflag = OPOST | XTABS;
	t.ld.set_termios(tm);
	CHECK(w("\rx\t|") == "\rx       |");
	tm.c_oflag = OPOST | ONOCR;
	t.ld.set_termios(tm);
	CHECK(w("\r\rq\r") == "\rq\r"); // only a CR at column 0 is dropped
	tm.c_oflag = 0;
	t.ld.set_termios(tm);
	CHECK(w("a\nb") == "a\nb");
	// A device that adds the CR itself gets only the NL.
	std::string out;
	NTty d([](void *c, const char *s, usize n) { static_cast<std::string *>(c)->append(s, n); },
	       [](void *, int) {}, &out, true);
	const u8 nl[] = {'x', '\n'};
	d.write(nl, 2);
	CHECK(out == "x\n");
	CHECK(d.column() == 0);
}

TEST_CASE("n_tty: raw mode: bytes are readable at once, VMIN counts them, switching modes keeps input")
{
	Term t;
	t.set_lflag(0, ICANON | ECHO);
	CHECK(!t.ld.input_available());
	t.type("ab");
	CHECK(t.ld.input_available());
	CHECK(!t.ld.input_available(3)); // VMIN 3 not met yet
	t.type("\x7f\n");                // no line editing in raw mode
	CHECK(t.ld.input_available(3));
	CHECK(t.ld.inq() == 4);
	CHECK(t.read_raw(3) == "ab\x7f");
	CHECK(t.read_raw() == "\n");
	// Canonical -> raw: a partial line becomes readable.
	Term c;
	c.type("par");
	CHECK(!c.ld.input_available());
	c.set_lflag(0, ICANON);
	CHECK(c.ld.input_available());
	CHECK(c.read_raw() == "par");
	// Raw -> canonical: what is buffered becomes one line.
	c.type("xyz");
	c.set_lflag(ICANON, 0);
	CHECK(c.ld.input_available());
	CHECK(c.read_line() == "xyz");
	// A full raw buffer takes no more, except signal characters.
	Term f;
	f.set_lflag(0, ICANON | ECHO);
	std::string big(NTty::BUF_SIZE, 'z');
	CHECK(f.type(big) == NTty::BUF_SIZE - 1);
	CHECK(f.type("\x03") == 1);
	CHECK(f.sigs.size() == 1);
	CHECK(f.ld.read_cnt() == 0); // flushed
}

TEST_CASE("n_tty: a canonical line longer than 4095 characters is cut, its newline still fits")
{
	Term t;
	t.set_lflag(0, ECHO);
	std::string big(5000, 'q');
	CHECK(t.type(big) == 5000);
	CHECK(!t.ld.input_available());
	t.type("\x7f\n");
	std::string line = t.read_line(8192);
	CHECK(line.size() == NTty::BUF_SIZE - 1);
	CHECK(line.back() == '\n');
}

TEST_CASE("n_tty: IXON: ^S stops output and ^Q restarts it, neither is data; IXANY restarts on any key")
{
	Term t;
	t.type("\x13");
	CHECK(t.ld.stopped());
	CHECK(t.ld.is_prompt_char(0x13));
	t.type("a\x11" "b\n");
	CHECK(!t.ld.stopped());
	CHECK(t.read_line() == "ab\n");
	t.set_iflag(IXANY, 0);
	t.type("\x13" "c");
	CHECK(!t.ld.stopped());
	t.type("\x13");
	t.set_iflag(0, IXON); // clearing IXON restarts a stopped tty
	CHECK(!t.ld.stopped());
	t.type("\x13\n");
	CHECK(t.read_line() == "c\x13\n");
}

TEST_CASE("n_tty: ISTRIP and IUCLC translate input; IUTF8 erases a whole character")
{
	Term t;
	t.set_iflag(ISTRIP | IUCLC, 0);
	t.type("\xc1" "B\n");
	CHECK(t.read_line() == "ab\n"); // stripped to 'A', then lowered
	Term u;
	u.set_iflag(IUTF8, 0);
	u.type("x\xc3\xa9\x7f\n"); // "xé", erase -> "x"
	CHECK(u.read_line() == "x\n");
	Term n; // without IUTF8 only the last byte goes
	n.type("x\xc3\xa9\x7f\n");
	CHECK(n.read_line() == "x\xc3\n");
}
