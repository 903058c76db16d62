// On-target self-test registration and assertions in the style of Linux KUnit. Any layer may
// define cases; the runner that selects and reports them is kernel/ktest.h.
//
//   KTEST(suite, name) { KT_EXPECT_EQ(t, 1 + 1, 2); }
//
// registers a case; cases of one suite must live in one file (they are grouped by suite in
// link order).
#pragma once

#include "kstd/types.h"

// One side of a failed comparison: its value as bits and whether it prints signed.
struct KtValue {
	unsigned long long bits;
	bool is_signed;
};
template <class T> inline KtValue kt_value(const T &v)
{
	if constexpr (__is_pointer(T))
		return {reinterpret_cast<unsigned long long>(v), false};
	else
		return {(unsigned long long)v, __is_signed(T)};
}

class KTest {
public:
	explicit KTest(const char *name) : name_(name) {}
	void fail_at(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
	// A failed binary assertion in KUnit's words (Linux 6.1 kunit_binary_assert_format):
	// "Expected <a> <op> <b>, but" and, for each side whose text is not just the literal of its
	// value, "<text> == <value>" in decimal (%lld, or %llu for unsigned types).
	void fail_op_at(const char *file, int line, const char *a_text, const char *op, const char *b_text, KtValue a,
			KtValue b);
	void skip(const char *reason) { skip_reason_ = reason; }
	// Logs a diagnostic line ("    # ...") with the test.
	void log(const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	bool failed() const { return failed_; }
	const char *skip_reason() const { return skip_reason_; }
	const char *name() const { return name_; }

private:
	const char *name_;
	bool failed_ = false;
	const char *skip_reason_ = nullptr;
};

struct KTestCase {
	const char *suite;
	const char *name;
	void (*fn)(KTest &t);
};

#define KTEST_CONCAT2(a, b) a##b
#define KTEST_CONCAT(a, b) KTEST_CONCAT2(a, b)
#define KTEST(suite, name)                                                                  \
	static void ktest_##suite##_##name(KTest &t);                                            \
	[[gnu::used, gnu::section("ktest_suites")]] static const KTestCase                      \
		KTEST_CONCAT(ktest_rec_, __COUNTER__) = {#suite, #name, ktest_##suite##_##name};     \
	static void ktest_##suite##_##name([[maybe_unused]] KTest &t)

#define KT_EXPECT_TRUE(t, cond)                                                          \
	do {                                                                                 \
		if (!(cond))                                                                     \
			(t).fail_at(__FILE__, __LINE__, "Expected %s to be true, but is false", #cond); \
	} while (0)
#define KT_EXPECT_FALSE(t, cond)                                                         \
	do {                                                                                 \
		if (cond)                                                                        \
			(t).fail_at(__FILE__, __LINE__, "Expected %s to be false, but is true", #cond); \
	} while (0)
#define KT_EXPECT_OP(t, a, op, b)                                                           \
	do {                                                                                    \
		auto _ka = (a);                                                                     \
		auto _kb = (b);                                                                     \
		if (!(_ka op _kb))                                                                  \
			(t).fail_op_at(__FILE__, __LINE__, #a, #op, #b, kt_value(_ka), kt_value(_kb)); \
	} while (0)
#define KT_EXPECT_EQ(t, a, b) KT_EXPECT_OP(t, a, ==, b)
#define KT_EXPECT_NE(t, a, b) KT_EXPECT_OP(t, a, !=, b)
#define KT_EXPECT_LT(t, a, b) KT_EXPECT_OP(t, a, <, b)
#define KT_EXPECT_LE(t, a, b) KT_EXPECT_OP(t, a, <=, b)
#define KT_EXPECT_GE(t, a, b) KT_EXPECT_OP(t, a, >=, b)
#define KT_EXPECT_GT(t, a, b) KT_EXPECT_OP(t, a, >, b)
// ASSERT variants end the case on failure.
#define KT_ASSERT_TRUE(t, cond)          \
	do {                                 \
		KT_EXPECT_TRUE(t, cond);         \
		if ((t).failed())                \
			return;                      \
	} while (0)
#define KT_ASSERT_EQ(t, a, b)            \
	do {                                 \
		KT_EXPECT_EQ(t, a, b);           \
		if ((t).failed())                \
			return;                      \
	} while (0)
