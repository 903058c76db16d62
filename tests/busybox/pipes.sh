# Pipelines and redirections: the shell's fd plumbing (pipe2, dup3, fcntl, wait4, open flags).
echo hello | cat
printf 'b\na\nc\n' | sort | tr a-z A-Z
seq 1 1000 | grep 7 | wc -l
echo one > /tmp/p.f
echo two >> /tmp/p.f
cat /tmp/p.f
wc -l < /tmp/p.f
cat /nonexistent 2> /tmp/p.err
echo "cat status $?"
cat /tmp/p.err
ls /nonexistent 2>&1 > /dev/null | wc -l
exec 3> /tmp/p.fd3
echo "through fd 3" >&3
exec 3>&-
cat /tmp/p.fd3
cat <<EOT
here document $((6 * 7))
EOT
x=$(echo substitution | tr s S)
echo "$x"
false | true
echo "false | true: $?"
true | false
echo "true | false: $?"
{ echo to-stdout; echo to-stderr 1>&2; } 2>&1 | sort
yes | head -3
(cd /tmp && pwd)
echo a b c | while read p q r; do echo "$r $q $p"; done
# More than a pipe buffer (64 KiB) through one pipe, and a writer that outlives its reader.
head -c 200000 /dev/zero | tr '\0' x | wc -c
yes | head -c 100000 | wc -c
set -o noclobber
echo again > /tmp/p.f 2> /dev/null || echo "noclobber refused"
set +o noclobber
echo "last" >| /tmp/p.f
cat /tmp/p.f
rm /tmp/p.f /tmp/p.err /tmp/p.fd3
ls /tmp/p.* 2> /dev/null | wc -l
