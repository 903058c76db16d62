# arch/arm64/: exception vectors, MMU, CPU setup, system registers.
kernel-srcs += $(wildcard arch/arm64/*.S arch/arm64/*.cpp arch/arm64/mm/*.cpp)
