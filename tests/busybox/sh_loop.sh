# sh -c 1000 times: fork + exec + exit + wait4, each child's exit status checked. No process
# may be left behind (the count of /proc/<pid> entries is the same before and after).
before=$(ls -d /proc/[0-9]* | wc -l)
i=0
bad=0
while [ $i -lt 1000 ]; do
	sh -c 'exit $(($1 % 7))' sh $i
	[ $? -eq $((i % 7)) ] || bad=$((bad + 1))
	i=$((i + 1))
done
after=$(ls -d /proc/[0-9]* | wc -l)
echo "$i runs of sh -c, $bad wrong exit statuses"
echo "processes before and after: $((after - before)) more"
