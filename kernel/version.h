#pragma once
extern const char kernel_version[], kernel_git_commit[], kernel_compiler[], kernel_slab[];
