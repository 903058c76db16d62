// AArch64 side of restartable sequences (kernel/rseq.h): the table entry an inline-asm
// sequence emits for itself.
#pragma once

// RSEQ_CS_ENTRY(start, commit, restart): local labels as strings, e.g. ("1b", "2b", "1b").
// Registers the sequence in __rseq_table (layout: struct rseq_cs_entry).
#define RSEQ_CS_ENTRY(start, commit, restart)        \
	"	.pushsection __rseq_table, \"a\"\n"      \
	"	.balign	4\n"                             \
	"	.long	" start " - .\n"                 \
	"	.long	" commit " - .\n"                \
	"	.long	" restart " - .\n"               \
	"	.popsection\n"
