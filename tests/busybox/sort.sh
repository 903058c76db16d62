# sort of a large generated file (about 640 KB, 50000 lines: a 32-bit LCG, exact in awk's
# doubles), through a tmpfs file: big reads and writes, brk/mmap growth.
awk 'BEGIN { x = 12345; for (i = 0; i < 50000; i++) { x = (x * 69069 + 1) % 4294967296; print x, i % 97 } }' > /tmp/big
wc -l < /tmp/big
sort /tmp/big > /tmp/sorted
md5sum < /tmp/sorted
sort -n /tmp/big | head -3
sort -n -r /tmp/big | head -1
sort -u -k2,2 /tmp/big | wc -l
cmp /tmp/sorted /tmp/big > /dev/null || echo "sorted differs from the input"
sort -c /tmp/sorted && echo "sort -c: in order"
rm /tmp/big /tmp/sorted
