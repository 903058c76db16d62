# lib/: freestanding C++ support shared by every layer (kstd headers, string, formatting).
lib-host-excluded := lib/string.cpp lib/cxxabi.cpp lib/ubsan.cpp lib/stack_protector.cpp
kernel-srcs += $(wildcard lib/*.cpp lib/of/*.cpp)
host-srcs += $(filter-out $(lib-host-excluded),$(wildcard lib/*.cpp lib/of/*.cpp))
