# find: a walk of the whole root (getdents64 + lstat), not into other mounts (-xdev: /proc,
# and /dev when it is a mount); /proc, /sys and /dev themselves are left out, their contents
# differ between kernels.
find / -xdev | grep -v -e '^/proc/' -e '^/sys/' -e '^/dev/' | wc -l
find / -xdev -type l | grep -v -e '^/proc/' -e '^/dev/' | wc -l
find / -xdev -type d | grep -v -e '^/proc/' -e '^/dev/' | sort
find /bin /sbin /usr -name 'g*' | sort | head -5
