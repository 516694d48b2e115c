#!/bin/sh
# The proxy's service manager on the end-to-end test's VMs (they run no systemd), run over SSH
# inside the VM:  vm_servicectl.sh start|stop|restart|is-active
# Starts the stand-in proxy the package installed, answering readiness on 127.0.0.1:15021 of the
# VM; its pid lives in the VM's /run.
proxy=/usr/local/bin/meshorch-standin-proxy
pidfile=/run/meshorch-standin-proxy.pid
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
start() {
    [ -x "$proxy" ] || { echo "istio: $proxy is not installed" >&2; exit 1; }
    # As Istio's unit does, the proxy runs as the user its package created.
    setsid setpriv --reuid istio-proxy --regid istio-proxy --clear-groups \
        /usr/bin/python3 "$proxy" --port 15021 --root / </dev/null >/dev/null 2>&1 &
    echo $! > "$pidfile"
}
stop() {
    # As systemctl stop: returns once the proxy is gone (SIGKILL after 10 s).
    if running; then
        pid=$(cat "$pidfile")
        kill "$pid"
        tries=0
        while kill -0 "$pid" 2>/dev/null && [ $tries -lt 200 ]; do
            sleep 0.05
            tries=$((tries + 1))
        done
        kill -9 "$pid" 2>/dev/null
    fi
    rm -f "$pidfile"
}
case $1 in
    start) running || start ;;
    stop) stop ;;
    restart) stop; start ;;
    is-active) running ;;
    *) echo "usage: $0 start|stop|restart|is-active" >&2; exit 2 ;;
esac
