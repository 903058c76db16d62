// Futexes (Linux's kernel/futex/).
#pragma once

#include "kernel/sched.h"

// A thread's exit (or exec) with its mm still mapped: the robust list is walked and
// CLONE_CHILD_CLEARTID's word is cleared and woken (Linux's futex_exit_release + the
// clear_child_tid part of mm_release).
void futex_exit_release(task_struct *t);
