#pragma once
extern const char kernel_name[], kernel_version[], kernel_release[], kernel_uts_version[], kernel_git_commit[],
	kernel_compiler[], kernel_slab[];
// "mmkernel version <release> (<builder>) (<compiler>, <linker>) #1 SMP <date>\n", as Linux's.
extern const char linux_banner[];
