// lib/seq_file: the primitives against Linux's output, the buffer that grows while the
// generator overflows it, reads at offsets as Linux's seq_read for single_open files, and the
// streaming form the console uses.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/seq_file.h"

namespace {

std::string gen(seq_show_t show, void *arg = nullptr)
{
	seq_file m;
	seq_single_init(&m, show, arg);
	REQUIRE(!seq_generate(&m).is_error());
	std::string s(m.buf, m.count);
	seq_release(&m);
	return s;
}

int calls;
// 30000 bytes of numbered lines: far more than the first 4 KiB buffer.
int long_show(seq_file *m, void *)
{
	calls++;
	for (int i = 0; i < 1000; i++)
		seq_printf(m, "line %04d %s\n", i, "abcdefghijklmnopqrs");
	return 0;
}

std::vector<std::string> sink_calls;
int capture(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sink_calls.emplace_back(buf);
	return n;
}

} // namespace

TEST_CASE("seq_file: primitives print as Linux's")
{
	auto s = gen([](seq_file *m, void *) {
		seq_put_decimal_ull(m, "", 0);
		seq_put_decimal_ull(m, " ", 18446744073709551615ull);
		seq_put_decimal_ll(m, " ", -1);
		seq_put_decimal_ll(m, " ", 17);
		seq_put_decimal_ull_width(m, "MemTotal:       ", 1000964, 8);
		seq_puts(m, "|");
		seq_put_hex_ll(m, nullptr, 0x400000, 8);
		seq_put_hex_ll(m, "-", 0xffffdabd8000ull, 8);
		seq_put_hex_ll(m, " ", 2, 2);
		seq_putc(m, '|');
		seq_write(m, "a\0b", 3);
		seq_escape(m, "a b\\c", " \t\n\\");
		return 0;
	});
	CHECK(s == std::string("0 18446744073709551615 -1 17MemTotal:        1000964|00400000-ffffdabd8000 02|") +
			   std::string("a\0b", 3) + "a\\040b\\134c");
}

TEST_CASE("seq_file: seq_setwidth/seq_pad pad to the column, or only write the character past it")
{
	auto s = gen([](seq_file *m, void *) {
		seq_setwidth(m, 10);
		seq_puts(m, "abc");
		seq_pad(m, ' ');
		seq_puts(m, "x\n");
		seq_setwidth(m, 2);
		seq_puts(m, "abcdef");
		seq_pad(m, ' ');
		seq_puts(m, "y\n");
		seq_setwidth(m, 3);
		seq_puts(m, "ab");
		seq_pad(m, 0);
		seq_puts(m, "z\n");
		return 0;
	});
	CHECK(s == "abc        x\nabcdef y\nab z\n");
}

TEST_CASE("seq_file: the buffer doubles until the text fits; the text is whole")
{
	calls = 0;
	std::string s = gen(long_show);
	CHECK(s.size() == 1000 * 30);
	CHECK(s.substr(0, 30) == "line 0000 abcdefghijklmnopqrs\n");
	CHECK(s.substr(999 * 30) == "line 0999 abcdefghijklmnopqrs\n");
	// 4 KiB, 8, 16, 32: the generator ran once per size.
	CHECK(calls == 4);
}

TEST_CASE("seq_file: reads at offsets as Linux's seq_read for single_open files")
{
	calls = 0;
	seq_file m;
	seq_single_init(&m, long_show, nullptr);
	std::string all;
	i64 pos = 0;
	// Sequential reads of 7 bytes see one snapshot, generated once.
	for (;;) {
		auto v = seq_single_prepare(&m, pos);
		REQUIRE(!v.is_error());
		usize n = v.value().len < 7 ? v.value().len : 7;
		if (!n)
			break;
		all.append(v.value().data, n);
		seq_single_consumed(&m, pos, n);
		pos += static_cast<i64>(n);
	}
	int after_sequential = calls;
	CHECK(all.size() == 30000);
	CHECK(all.substr(29970) == "line 0999 abcdefghijklmnopqrs\n");
	// Reading again at the end: nothing, and no regeneration.
	auto v = seq_single_prepare(&m, pos);
	REQUIRE(!v.is_error());
	CHECK(v.value().len == 0);
	CHECK(calls == after_sequential);
	// A pread elsewhere regenerates and starts there (Linux's traverse).
	auto w = seq_single_prepare(&m, 35);
	REQUIRE(!w.is_error());
	CHECK(calls > after_sequential);
	CHECK(std::string(w.value().data, 5) == "0001 ");
	// Past the end: empty; a negative offset: EINVAL.
	CHECK(seq_single_prepare(&m, 1 << 20).value().len == 0);
	CHECK(seq_single_prepare(&m, -1).error().code() == Errno::EINVAL);
	seq_release(&m);
}

TEST_CASE("seq_file: a generator's error is the read's")
{
	seq_file m;
	seq_single_init(&m, [](seq_file *, void *) { return -3; }, nullptr);
	auto v = seq_single_prepare(&m, 0);
	REQUIRE(v.is_error());
	CHECK(v.error().code() == Errno::ESRCH);
	seq_release(&m);
}

TEST_CASE("seq_file: streamed to a sink, the same text in whole lines")
{
	sink_calls.clear();
	seq_show_to_sink(capture, long_show, nullptr);
	std::string joined;
	for (auto &l : sink_calls) {
		CHECK(l.size() == 30);
		CHECK(l.back() == '\n');
		joined += l;
	}
	CHECK(joined == gen(long_show));
	// A line longer than the stream buffer is split but nothing is lost.
	sink_calls.clear();
	seq_show_to_sink(capture, [](seq_file *m, void *) {
		for (int i = 0; i < 700; i++)
			seq_putc(m, static_cast<char>('a' + i % 26));
		seq_puts(m, "\nend\n");
		return 0;
	});
	joined.clear();
	for (auto &l : sink_calls)
		joined += l;
	CHECK(joined.size() == 705);
	CHECK(joined.substr(700) == "\nend\n");
	// Padding works across a flush: the column counts from the line's start in the stream.
	sink_calls.clear();
	seq_show_to_sink(capture, [](seq_file *m, void *) {
		for (int i = 0; i < 40; i++) {
			seq_setwidth(m, 20);
			seq_printf(m, "%d", i);
			seq_pad(m, ' ');
			seq_puts(m, "name\n");
		}
		return 0;
	});
	for (auto &l : sink_calls)
		CHECK(l.find("name") == 21);
}
