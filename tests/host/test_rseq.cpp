// kernel/rseq.cpp's table lookup: which interrupted PCs are rewound, and where to.
#include <doctest/doctest.h>

#include "kernel/rseq.h"

namespace {

// Entries are self-relative, as the assembler emits them: each field holds target - &field.
void set(rseq_cs_entry &e, u64 start, u64 commit, u64 restart)
{
	auto rel = [](const i32 *field, u64 to) { return static_cast<i32>(static_cast<i64>(to - reinterpret_cast<u64>(field))); };
	e.start = rel(&e.start, start);
	e.commit = rel(&e.commit, commit);
	e.restart = rel(&e.restart, restart);
}

} // namespace

TEST_CASE("rseq: a PC in [start, commit] is rewound to restart, others are left alone")
{
	rseq_cs_entry t[2];
	u64 base = reinterpret_cast<u64>(&t[0]);
	set(t[0], base + 0x1000, base + 0x1024, base + 0x1000);
	set(t[1], base + 0x2000, base + 0x202c, base + 0x1ff0);

	CHECK(rseq_fixup_target(t, t + 2, base + 0x1000) == base + 0x1000); // at start: harmless
	CHECK(rseq_fixup_target(t, t + 2, base + 0x1010) == base + 0x1000);
	CHECK(rseq_fixup_target(t, t + 2, base + 0x1024) == base + 0x1000); // commit not yet done
	CHECK(rseq_fixup_target(t, t + 2, base + 0x1028) == 0);             // committed: finished
	CHECK(rseq_fixup_target(t, t + 2, base + 0x0ffc) == 0);
	CHECK(rseq_fixup_target(t, t + 2, base + 0x2004) == base + 0x1ff0); // second entry, own restart
	CHECK(rseq_fixup_target(t, t + 2, base + 0x202c) == base + 0x1ff0);
	CHECK(rseq_fixup_target(t, t + 2, base + 0x2030) == 0);
	CHECK(rseq_fixup_target(t, t + 1, base + 0x2004) == 0); // only the given range is searched
	CHECK(rseq_fixup_target(t, t, base + 0x1010) == 0);     // empty table
}
