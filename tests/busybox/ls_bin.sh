# ls -l /bin: readdir (getdents64), lstat of every entry, readlink of the symlinks.
ls -l /bin | wc -l
ls /bin | wc -l
ls -l /bin/busybox /bin/sh | awk '{ print $1, $2, $3, $4, $5, $NF }'
ls -ld /tmp | awk '{ print $1 }'
ls -a / | wc -l
