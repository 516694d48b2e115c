#!/bin/sh
# Stand-in for systemctl in the injector's integration tests (the container has no systemd):
#   servicectl.sh start|stop|restart|is-active <vm-root> <port> [--never-ready]
# Records every action in <vm-root>/../service.log; the proxy's pid lives in <vm-root>/../proxy.pid,
# outside the "VM", so that a clean removal leaves nothing under the root.
action=$1 root=$2 port=$3 mode=$4
state=$(dirname "$root")
pidfile=$state/proxy.pid
echo "$action" >> "$state/service.log"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
start() {
    proxy=$root/usr/local/bin/meshorch-standin-proxy
    [ -f "$proxy" ] || { echo "istio: $proxy is not installed" >&2; exit 1; }
    setsid /usr/bin/python3 "$proxy" --port "$port" --root "$root" $mode \
        </dev/null >/dev/null 2>&1 &
    echo $! > "$pidfile"
}
stop() {
    if running; then kill "$(cat "$pidfile")"; fi
    rm -f "$pidfile"
}
case $action in
    start) running || start ;;
    stop) stop ;;
    restart) stop; start ;;
    is-active) running ;;
    *) echo "unknown action $action" >&2; exit 2 ;;
esac
