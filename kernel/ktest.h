// The on-target self-test runner (Linux KUnit's executor). `ktest=all` or
// `ktest=<suite>[,<suite>...]` on the command line runs the registered cases (core/ktest.h) at
// boot and prints KTAP version 1 as KUnit does, then powers off with status 0 when every case
// passed and 1 otherwise. After each suite the memory ledgers (free pages, live slab objects,
// ...) must be back at their values from before the suite, or the suite fails.
#pragma once

#include "core/ktest.h"
#include "kstd/types.h"

// Runs the suites selected by ktest=; returns true when something was selected (then the
// caller powers off with ktest_exit_status()).
bool ktest_run_selected();
int ktest_exit_status();
// Runs a named suite list ("all" or "a,b") now (the `ktest` console command).
int ktest_run(const char *selection);
