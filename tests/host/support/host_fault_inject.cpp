// The host suite runs as one task: fail-nth is a single counter.
#include "core/fault_inject.h"

static int host_fail_nth;
int *current_fail_nth() { return &host_fail_nth; }
