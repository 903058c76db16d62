// printk internals shared with the console, panic and shell code.
#pragma once

#include "kstd/types.h"

void printk_set_time_base(u64 counter);
void printk_bust_locks();
// Calls out() for every line in the ring buffer, oldest first (the `dmesg` command).
void dmesg_dump(void (*out)(const char *s, usize n));

// /dev/kmsg's view of the ring (drivers/char/mem.cpp): each line is a record numbered from boot.
struct wait_queue_head;
struct kmsg_cursor {
	u64 seq; // the next record to read
	u64 pos; // where it starts in the ring (valid while seq is still there)
};
// The oldest record still in the ring, and the next one to be written (SEEK_SET/SEEK_END).
void kmsg_cursor_first(kmsg_cursor *c);
void kmsg_cursor_end(kmsg_cursor *c);
// Where syslog(SYSLOG_ACTION_CLEAR) left the log (SEEK_DATA; the oldest record before any).
void kmsg_cursor_clear(kmsg_cursor *c);
// Formats record c->seq as Linux's /dev/kmsg line "prio,seq,usec,-;text\n" into out and moves
// c past it: the length (truncated to size), -EAGAIN when it is not written yet, -EPIPE when it
// was overwritten (c moves to the oldest record).
long kmsg_read_record(kmsg_cursor *c, char *out, usize size);
// 1: a record is ready at c, 2: c's record was overwritten, 0: nothing yet.
int kmsg_poll_state(const kmsg_cursor *c);
// Woken (from the tick) when records were added.
wait_queue_head *kmsg_wait_queue();
// The tick (kernel/timer.cpp): wakes kmsg readers when printk added a record.
void printk_tick();
// A record written to /dev/kmsg (prio = facility << 3 | level), up to its first newline.
void printk_user_record(int prio, const char *text, usize n);

// Crash reports (kernel/panic.cpp): the number of records begun so far, and a replay to the
// consoles (not into the log again) of the last max_lines whole records begun before mark;
// returns how many it wrote. Whether the console loglevel currently hides level.
u64 printk_log_mark();
unsigned printk_replay_tail(u64 mark, unsigned max_lines);
bool printk_console_filtered(int level);
