// -fstack-protector-strong support: the canary every protected function compares on return.
#pragma once

#include "kstd/types.h"

// Replaces the boot-time canary with one derived from seed (the DT rng-seed, or the counter
// when there is none). The low byte stays 0, as glibc does, so an overflow through a string
// function stops at the canary's first byte instead of copying past it.
//
// Call it once, on the boot CPU, before secondary CPUs start, and from a function that never
// returns (start_kernel): every protected frame live at that moment saved the old canary and
// would report corruption when it returned.
void stack_protector_init(u64 seed);
