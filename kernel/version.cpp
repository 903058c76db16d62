// Build identity for the banner (GIT_COMMIT, COMPILER, SLAB_NAME come from the Makefile;
// this file is rebuilt on every build).
#include "kernel/version.h"

const char kernel_version[] = "0.1.0";
const char kernel_git_commit[] = GIT_COMMIT;
const char kernel_compiler[] = COMPILER;
const char kernel_slab[] = SLAB_NAME;
