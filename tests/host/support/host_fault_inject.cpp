// The host suite runs as one task: fail-nth is a single counter.
#include "core/fault_inject.h"
#include "core/panic.h"

static int host_fail_nth;
int *current_fail_nth() { return &host_fail_nth; }

// The host suite has no backtrace; the report line above it is what the tests read.
void dump_stack() {}
