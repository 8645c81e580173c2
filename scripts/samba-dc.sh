#!/usr/bin/env bash
# A throwaway Samba AD domain controller on 127.0.0.1, for Portrait's LDAP tests and benchmark.
#
#   scripts/samba-dc.sh start DIR   provision CONTOSO.TEST into DIR (anything there is replaced),
#                                   make a test CA and a certificate for localhost/127.0.0.1, start
#                                   samba (LDAP on 389 and LDAPS on 636) and wait until it answers
#   scripts/samba-dc.sh stop DIR    stop the samba started from DIR
#   scripts/samba-dc.sh restart DIR stop and start again, keeping the domain
#
# Administrator's password is in DIR/admin-password; the CA is DIR/tls/ca.pem, and a CA that
# signed nothing the server shows is DIR/tls/other-ca.pem. Needs root (ports 389 and 636) and the
# Debian packages scripts/install-deps.sh installs.
set -euo pipefail

command=${1:-}
dir=${2:-}
[ -n "$command" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop|restart DIR" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
password='Portrait-Test-1!'

stop() {
    local pidfile="$dir/run/samba.pid"
    [ -f "$pidfile" ] || return 0
    local pid
    pid=$(cat "$pidfile")
    if kill "$pid" 2>/dev/null; then
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
}

run() {
    if (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null; then
        echo "error: something already listens on 127.0.0.1:636 (a DC started from another folder? stop it with $0 stop THAT-FOLDER)" >&2
        exit 1
    fi
    samba -D -s "$dir/etc/smb.conf" \
        --option="ldap server require strong auth=no" \
        --option="tls enabled=yes" \
        --option="tls keyfile=$dir/tls/server.key" \
        --option="tls certfile=$dir/tls/server.pem" \
        --option="tls cafile=$dir/tls/ca.pem" \
        </dev/null >"$dir/samba.out" 2>&1
    for _ in $(seq 150); do
        if LDAPTLS_CACERT="$dir/tls/ca.pem" ldapsearch -LLL -H ldaps://127.0.0.1 -x -D "Administrator@contoso.test" \
            -w "$password" -s base -b "" highestCommittedUSN >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.2
    done
    echo "error: samba did not answer on ldaps://127.0.0.1 within 30 s; see $dir/log*" >&2
    exit 1
}

certificates() {
    mkdir -p "$dir/tls"
    cd "$dir/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=Portrait Test CA" 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days 30 -subj "/CN=Another CA" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 -extfile san.ext 2>/dev/null
    chmod 600 server.key ca.key other-ca.key
    cd - >/dev/null
}

case "$command" in
start)
    for tool in samba samba-tool ldapsearch openssl; do
        command -v "$tool" >/dev/null || { echo "error: $tool is missing; run scripts/install-deps.sh" >&2; exit 1; }
    done
    stop
    find "$dir" -mindepth 1 -delete
    samba-tool domain provision --targetdir="$dir" --realm=CONTOSO.TEST --domain=CONTOSO --server-role=dc \
        --dns-backend=NONE --host-name=dc1 --adminpass="$password" \
        --option="interfaces=127.0.0.1" --option="bind interfaces only=yes" --option="server services=ldap" \
        --option="pid directory=$dir/run" --option="log file=$dir/log" --option="ldb:nosync=true" \
        >"$dir/provision.log" 2>&1 || { echo "error: provisioning failed; see $dir/provision.log" >&2; exit 1; }
    printf '%s' "$password" > "$dir/admin-password"
    chmod 600 "$dir/admin-password"
    certificates
    run
    ;;
stop)
    stop
    ;;
restart)
    stop
    run
    ;;
*)
    echo "usage: $0 start|stop|restart DIR" >&2
    exit 2
    ;;
esac
