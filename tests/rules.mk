# tests/: host doctest files and on-target KTEST suites (compiled into the kernel).
host-tests += $(wildcard tests/host/*.cpp tests/host/support/*.cpp)
kernel-srcs += $(wildcard tests/target/*.cpp)
-include tests/fuzz/fuzz.mk
