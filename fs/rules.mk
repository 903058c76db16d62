# fs/: the virtual file system (inodes, dentries, mounts, files, the file table and the file
# syscalls), tmpfs (the root), pipes, /proc and /dev. fs-host files are also compiled into the
# host suite (path walk and /proc generators against recorded cases).
fs-host := fs/proc/format.cpp fs/inode.cpp fs/dcache.cpp fs/namei.cpp fs/namespace.cpp
kernel-srcs += $(wildcard fs/*.cpp fs/proc/*.cpp)
host-srcs += $(fs-host)
