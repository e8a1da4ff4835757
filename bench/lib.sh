# Shared helpers for the benchmark scripts (sourced, POSIX sh).

BUILD=${BUILD:-build}
EXECD=${EXECD:-$BUILD/bin/execd}
WORK=$(mktemp -d /tmp/execd-bench-XXXXXX)
PIDS=""

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	for p in $PIDS; do wait "$p" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# start_execd NAME [args...]: starts execd on a free port, sets EXECD_PORT and EXECD_PID.
start_execd() {
	name=$1; shift
	rm -f "$WORK/$name.port"
	"$EXECD" --port 0 -D "execd.portFile=$WORK/$name.port" "$@" >"$WORK/$name.log" 2>&1 &
	EXECD_PID=$!
	PIDS="$PIDS $EXECD_PID"
	i=0
	while [ ! -s "$WORK/$name.port" ]; do
		i=$((i + 1)); [ $i -gt 500 ] && { echo "execd did not start"; cat "$WORK/$name.log"; exit 1; }
		sleep 0.02
	done
	EXECD_PORT=$(cat "$WORK/$name.port")
}

# start_nginx PORT: nginx answering "return 200" on PORT with 2 workers.
start_nginx() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	server { listen 127.0.0.1:$1; location / { return 200 ""; } }
}
CONF
	nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
	PIDS="$PIDS $!"
	sleep 0.5
}

# start_nginx_root PORT DIR: nginx (as root, sendfile on) serving the files in DIR on PORT.
start_nginx_root() {
	mkdir -p "$WORK/nginx"
	cat >"$WORK/nginx/nginx.conf" <<CONF
user root;
worker_processes 2;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	server { listen 127.0.0.1:$1; root $2; }
}
CONF
	nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" &
	PIDS="$PIDS $!"
	sleep 0.5
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# median of the numbers on stdin
median() {
	sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# wrk_run URL ARGS...: prints "<requests/s> <p50 ms> <p99 ms>"
wrk_run() {
	url=$1; shift
	wrk "$@" --latency "$url" 2>&1 | awk '
		function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
		/Requests\/sec/ { rps=$2 }
		/^ +50%/ { p50=ms($2) }
		/^ +99%/ { p99=ms($2) }
		END { printf "%s %s %s\n", rps, p50, p99 }'
}

proc_status() {
	pid=$1
	rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	threads=$(awk '/Threads/ {print $2}' /proc/$pid/status)
	fds=$(ls /proc/$pid/fd | wc -l)
	echo "rss_kb=$rss threads=$threads fds=$fds"
}
