# boot/: the head.S equivalent (Image header, EL drop, early page tables, MMU on).
kernel-srcs += $(wildcard boot/*.S)
