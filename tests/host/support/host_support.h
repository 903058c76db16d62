// Host seams for kernel code under test: printk output is captured (and echoed when
// HOST_VERBOSE=1 is set), panic() throws HostPanic so a test can assert that bad input panics.
#pragma once

#include <string>

// The call site of a test helper, for the assertions inside it: give the helper a last
// parameter `Caller at = {}` (the defaults are evaluated where the helper is called) and start
// it with CALLED_FROM(at), so that a failure there also names the test line that called it.
struct Caller {
	const char *file = __builtin_FILE();
	int line = __builtin_LINE();
};
#define CALLED_FROM(at) INFO("called from ", std::string((at).file), ":", (at).line)

// xorshift64*: the random tests' generator; a fixed seed gives the same sequence on every run.
struct Rng {
	unsigned long long s;
	unsigned long long next()
	{
		s ^= s >> 12;
		s ^= s << 25;
		s ^= s >> 27;
		return s * 0x2545F4914F6CDD1Dull;
	}
	unsigned long long below(unsigned long long n) { return next() % n; }
};

struct HostPanic {
	std::string message;
};

// Everything printk'ed since the last call; clears the capture.
std::string host_take_log();
// Captured log so far, not cleared.
const std::string &host_log();
