/* KTAP version 1 output for user-space test suites, in exactly the format of the kernel's
 * ktest runner (kernel/ktest.cpp): nested "# Subtest:" blocks indented by four spaces,
 * "EXPECTATION FAILED" diagnostics before the "not ok" line, per-suite and total counts. */
#pragma once

#include "ulib.h"

struct ktest_case {
	const char *name;
	void (*fn)(void);
};
struct ktest_suite {
	const char *name;
	const struct ktest_case *cases;
	int ncases;
};
#define KTEST_SUITE(name, cases) {name, cases, (int)(sizeof(cases) / sizeof(cases[0]))}

/* Runs every suite; returns the number of failed suites (0 when all passed). */
int ktap_run(const struct ktest_suite *suites, int nsuites);

void ktap_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ktap_skip(const char *reason);
void ktap_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ktap_failed(void);

#define EXPECT(c)                                                  \
	do {                                                       \
		if (!(c))                                          \
			ktap_fail(__FILE__, __LINE__, "%s", #c);   \
	} while (0)
#define EXPECT_EQ(a, b)                                                                           \
	do {                                                                                      \
		long _a = (long)(a), _b = (long)(b);                                              \
		if (_a != _b)                                                                     \
			ktap_fail(__FILE__, __LINE__, "%s == %s: %ld (%#lx) != %ld (%#lx)", #a, #b, \
				  _a, _a, _b, _b);                                                \
	} while (0)
/* Stops the current case when the condition fails (later checks would be meaningless). */
#define ASSERT(c)                                                  \
	do {                                                       \
		if (!(c)) {                                        \
			ktap_fail(__FILE__, __LINE__, "%s", #c);   \
			return;                                    \
		}                                                  \
	} while (0)
#define ASSERT_EQ(a, b)                       \
	do {                                  \
		int _f = ktap_failed();       \
		EXPECT_EQ(a, b);              \
		if (!_f && ktap_failed())     \
			return;               \
	} while (0)
