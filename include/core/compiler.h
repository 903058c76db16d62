// Code-generation barriers (Linux's include/linux/compiler.h). Each is an empty asm statement:
// it emits no instruction and only limits what the optimizer may assume, so every use says
// which assumption it takes away. None of them orders anything between CPUs: that takes
// dmb()/dsb() (asm/sysreg.h) or an __atomic ordering.
#pragma once

// A compiler barrier: the "memory" clobber tells the compiler that the asm may read or write
// any memory, so no load or store is moved across it and no value is kept in a register
// across it; volatile keeps it from being deleted or merged with another.
#define barrier() __asm__ __volatile__("" ::: "memory")

// Like barrier(), and the pointer's value escapes here: the compiler must assume the asm
// reads the memory it points to (so earlier stores to it cannot be dropped as dead).
#define barrier_data(ptr) __asm__ __volatile__("" : : "r"(ptr) : "memory")

// Makes var's value opaque: after it the compiler knows nothing of var but its type, so it
// cannot fold it into a constant, derive it from an earlier expression or rewrite the
// arithmetic that uses it. The value stays in a register; no instruction is emitted. Not
// volatile (as Linux's): an unused result is still deleted and an identical one may be reused.
#define OPTIMIZER_HIDE_VAR(var) __asm__("" : "=r"(var) : "0"(var))

// A deliberate lockless access (Linux's READ_ONCE/WRITE_ONCE): one access of the whole word,
// neither torn, repeated nor merged with another (a relaxed atomic; on arm64 a plain ldr/str).
// Reads of a TA_GUARDED field without its lock go through READ_ONCE, which says to the reader
// that the race is intended (a statistic, a hint re-checked under the lock).
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
