#!/bin/sh
# Installs execd into a scratch prefix, builds examples/echo-language against that
# prefix only (as a user outside this tree would), loads it with two properties
# lines and runs code in an echo context through the real daemon.
#   out_of_tree_module.sh <execd build dir> <example source dir>
set -eu
build=$1
example=$2
work=$(mktemp -d /tmp/execd-oot-XXXXXX)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$example" -B "$work/echo-build" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/echo-build" >/dev/null
test -f "$work/echo-build/libexecd_echo.so"

cat > "$work/execd.properties" <<PROPS
execd.port = 0
execd.portFile = $work/port
execd.modules.load = jupyter, shell, files, metrics, echo
module.echo.library = $work/echo-build/libexecd_echo.so
module.echo.prefix = echo:
PROPS

"$work/prefix/bin/execd" --config "$work/execd.properties" >"$work/log" 2>&1 &
pid=$!
i=0
while [ ! -s "$work/port" ]; do
	i=$((i + 1))
	if [ $i -gt 500 ] || ! kill -0 "$pid" 2>/dev/null; then
		echo "execd did not start:"; cat "$work/log"; exit 1
	fi
	sleep 0.02
done
port=$(cat "$work/port")
base="http://127.0.0.1:$port"

fail() { echo "FAIL: $*"; echo "--- execd log:"; cat "$work/log"; exit 1; }

ctx=$(curl -sf -X POST "$base/code/context" -d '{"language":"echo"}')
id=$(printf '%s' "$ctx" | sed -n 's/.*"id":"\([^"]*\)".*/\1/p')
[ -n "$id" ] || fail "no context id in $ctx"
[ "$ctx" = "{\"id\":\"$id\",\"language\":\"echo\"}" ] || fail "create context answered $ctx"

out=$(curl -sf -X POST "$base/code" -d "{\"code\":\"hello\\nworld\",\"context\":{\"id\":\"$id\",\"language\":\"echo\"}}")
printf '%s' "$out" | grep -q "\"type\":\"init\",\"text\":\"$id\"" || fail "no init: $out"
printf '%s' "$out" | grep -q '"type":"stdout","text":"echo:hello"' || fail "no first line: $out"
printf '%s' "$out" | grep -q '"type":"stdout","text":"echo:world"' || fail "no second line: $out"
printf '%s' "$out" | grep -q '"type":"execution_count","execution_count":1' || fail "no count: $out"
printf '%s' "$out" | grep -q '"type":"execution_complete"' || fail "no completion: $out"

out=$(curl -sf -X POST "$base/code" -d "{\"code\":\"again\",\"context\":{\"id\":\"$id\",\"language\":\"echo\"}}")
printf '%s' "$out" | grep -q '"execution_count":2' || fail "state not kept: $out"

list=$(curl -sf "$base/code/contexts?language=echo")
[ "$list" = "[{\"id\":\"$id\",\"language\":\"echo\"}]" ] || fail "list answered $list"
curl -sf -X DELETE "$base/code/contexts/$id" >/dev/null || fail "delete failed"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/code/contexts/$id")
[ "$code" = 404 ] || fail "deleted context answered $code"

kill -TERM "$pid"
wait "$pid" || fail "execd exited with $?"
pid=
grep -q "loaded module 'echo'" "$work/log" || fail "no load message"
echo "1 passed, 0 failed"
