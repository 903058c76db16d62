# kernel/: core services (printk, console, command line, ktest, panic, kallsyms, shell).
kernel-host-srcs := kernel/params.cpp kernel/rseq.cpp kernel/sched_fair.cpp kernel/n_tty.cpp
kernel-srcs += $(wildcard kernel/*.cpp)
host-srcs += $(wildcard $(kernel-host-srcs))
kernel-srcs += $(wildcard kernel/debug/*.cpp)
