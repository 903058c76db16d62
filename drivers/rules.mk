# drivers/: devices chosen by device-tree compatible strings.
drivers-host-srcs := $(wildcard drivers/*_calc.cpp)
kernel-srcs += $(wildcard drivers/*.cpp drivers/char/*.cpp)
host-srcs += $(drivers-host-srcs)
