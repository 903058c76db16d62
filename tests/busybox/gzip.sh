# gzip/gunzip round trip of a generated file, by file and through pipes. The compressed bytes
# after the 10-byte header (which holds the file's mtime) are the same on both kernels.
awk 'BEGIN { for (i = 0; i < 20000; i++) print i, i * i % 1009, "some text to compress" }' > /tmp/g
md5sum < /tmp/g
gzip -c /tmp/g > /tmp/g.gz
wc -c < /tmp/g.gz
tail -c +11 /tmp/g.gz | md5sum
gunzip -c /tmp/g.gz | md5sum
gzip -t /tmp/g.gz && echo "gzip -t: ok"
cat /tmp/g | gzip -9 | gunzip | cmp - /tmp/g && echo "pipe round trip: same"
cp /tmp/g /tmp/g2
gzip /tmp/g2
ls /tmp/g2*
gunzip /tmp/g2.gz
cmp /tmp/g /tmp/g2 && echo "file round trip: same"
rm /tmp/g /tmp/g.gz /tmp/g2
