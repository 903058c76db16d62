// Host seams for kernel code under test: printk output is captured (and echoed when
// HOST_VERBOSE=1 is set), panic() throws HostPanic so a test can assert that bad input panics.
#pragma once

#include <string>

struct HostPanic {
	std::string message;
};

// Everything printk'ed since the last call; clears the capture.
std::string host_take_log();
// Captured log so far, not cleared.
const std::string &host_log();
