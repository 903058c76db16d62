# mm/: memory management. Everything here except the files that touch the MMU or system
# registers directly is also compiled into the host test suite.
mm-kernel-only := $(wildcard mm/kernel_*.cpp)
kernel-srcs += $(wildcard mm/*.cpp)
host-srcs += $(filter-out $(mm-kernel-only),$(wildcard mm/*.cpp))
