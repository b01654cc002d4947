# Shell functions to run nginx on a free loopback port with the shipped
# site configuration (deploy/nginx/mrc-repository.conf), for the demo and
# the benchmarks. Source this file from the top of the repository.
#
#   nginx_start WORK_DIR SRV_DIR   # SRV_DIR holds repository/ and uploads/
#   echo "$nginx_port"             # the port it listens on
#   nginx_stop

nginx_start() {
    mkdir -p "$1" "$2/repository" "$2/uploads"
    # nginx reads relative paths against its prefix; make them absolute.
    nginx_work=$(cd "$1" && pwd)
    nginx_srv=$(cd "$2" && pwd)
    nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    sed -e "s|listen 8080;|listen 127.0.0.1:$nginx_port;|" -e "s|/srv/mrc-syncd|$nginx_srv|g" \
        deploy/nginx/mrc-repository.conf > "$nginx_work/site.conf"
    nginx_user=""
    # Started by root, nginx's workers would otherwise run as nobody and
    # could not read a repository in a private folder.
    [ "$(id -u)" -eq 0 ] && nginx_user="user root;"
    cat > "$nginx_work/nginx.conf" <<CONF
$nginx_user
daemon off;
worker_processes 1;
pid $nginx_work/nginx.pid;
error_log $nginx_work/error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    access_log $nginx_work/access.log;
    client_body_temp_path $nginx_work/tmp-body;
    proxy_temp_path $nginx_work/tmp-proxy;
    fastcgi_temp_path $nginx_work/tmp-fastcgi;
    uwsgi_temp_path $nginx_work/tmp-uwsgi;
    scgi_temp_path $nginx_work/tmp-scgi;
    include $nginx_work/site.conf;
}
CONF
    /usr/sbin/nginx -e "$nginx_work/error.log" -c "$nginx_work/nginx.conf" -p "$nginx_work" &
    nginx_pid=$!
    # Wait until it answers, at most five seconds.
    tries=0
    until python3 -c "import socket; socket.create_connection(('127.0.0.1', $nginx_port), 0.2)" 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -gt 25 ]; then
            echo "nginx did not start; see $nginx_work/error.log" >&2
            return 1
        fi
        sleep 0.2
    done
}

nginx_stop() {
    if [ -n "${nginx_pid:-}" ]; then
        kill "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
        nginx_pid=""
    fi
}
