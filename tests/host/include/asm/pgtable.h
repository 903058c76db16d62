// Host shadow of asm/pgtable.h: the same descriptor encoding; the hardware hooks come from
// tests/host/support/host_pgtable.cpp.
#pragma once
#include "arch/arm64/include/asm/pgtable.h"
