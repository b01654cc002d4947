#!/bin/sh
# The main job on the bundled samples: the central office publishes
# releases of samples/content; a centre without network receives them on
# USB sticks, as field staff would bring them, and a centre with a link
# syncs them from nginx on loopback. Everything it makes is under
# samples/demo-output/, which is replaced on each run.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/nginx.sh

step() { printf '\n== %s\n' "$*"; }

swift build
bin=$(swift build --show-bin-path)
publish="$bin/mrc-publish"
syncd="$bin/mrc-syncd"

out=samples/demo-output
rm -rf "$out"
mkdir -p "$out/central" "$out/centre"
keys="$out/central/keys"
repo="$out/central/srv/repository"
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null || true
    nginx_stop
}
trap cleanup EXIT

step "Central office: create the signing and upload keys"
"$publish" keygen --out "$keys"

step "Central office: publish release 1 of samples/content"
"$publish" release --content samples/content --repo "$repo" --key "$keys/publisher.key"

step "Central office: publish release 2, in which one agency's licence is revoked"
cp -R samples/content "$out/central/content"
sed -i '0,/"status": "licensed"/s//"status": "revoked"/' "$out/central/content/agencies.json"
"$publish" release --content "$out/central/content" --repo "$repo" --key "$keys/publisher.key"
"$publish" verify --repo "$repo" --trusted-key "$keys/publisher.pub"
ls -l "$repo"

step "Centre: configuration, with the central office's public key pinned"
cp "$keys/publisher.pub" "$out/centre/central-office.pub"
cat > "$out/centre/mrc-syncd.conf" <<CONF
# A centre that has no network: content arrives on USB sticks.
centre_id = demo-centre
channel = mm-main
trusted_keys = central-office.pub
state_dir = state
CONF
cat "$out/centre/mrc-syncd.conf"
config="$out/centre/mrc-syncd.conf"

step "Centre: status before any content (exit status 1: needs attention)"
"$syncd" --config "$config" status || true

step "Week 1: a stick with release 1, prepared on a Mac and used on Windows"
stick1="$out/usb-week-1"
mkdir -p "$stick1/mrc" "$stick1/System Volume Information" "$stick1/.Trashes"
cp "$repo/mm-main-1.snapshot.mrcb" "$stick1/mrc/"
head -c 4096 /dev/zero > "$stick1/mrc/._mm-main-1.snapshot.mrcb"
: > "$stick1/mrc/copy-of-bundle.mrcb"
"$syncd" --config "$config" import "$stick1"

step "Week 2: a stick with the whole repository; the centre takes the small delta"
stick2="$out/usb-week-2"
mkdir -p "$stick2"
cp -R "$repo" "$stick2/mm-main"
"$syncd" --config "$config" import "$stick2"

step "The same stick again changes nothing"
"$syncd" --config "$config" import "$stick2"

step "A tampered bundle is refused, and the content stays as it was"
cp "$repo/mm-main-2.snapshot.mrcb" "$out/tampered.mrcb"
printf 'X' | dd of="$out/tampered.mrcb" bs=1 seek=400 conv=notrunc status=none
"$syncd" --config "$config" import "$out/tampered.mrcb" && exit 1 || echo "(exit status $?)"

step "Centre: verify and status"
"$syncd" --config "$config" verify
"$syncd" --config "$config" status || echo "(exit status $?: the refused bundle needs attention)"

step "Central office: serve the repository with nginx on loopback"
nginx_start "$out/nginx" "$out/central/srv"
echo "Serving $repo at http://127.0.0.1:$nginx_port/"

step "A centre with a network link: configuration"
mkdir -p "$out/linked-centre"
cp "$keys/publisher.pub" "$out/linked-centre/central-office.pub"
cp "$keys/inbox.pub" "$out/linked-centre/central-inbox.pub"
cat > "$out/linked-centre/mrc-syncd.conf" <<CONF
centre_id = demo-linked-centre
channel = mm-main
trusted_keys = central-office.pub
inbox_key = central-inbox.pub
state_dir = state
repo_url = http://127.0.0.1:$nginx_port/
upload_url = http://127.0.0.1:$nginx_port/uploads/
poll_interval = 2s
bandwidth_limit = 512K
stall_timeout = 30s
CONF
cat "$out/linked-centre/mrc-syncd.conf"
linked="$out/linked-centre/mrc-syncd.conf"

step "Linked centre: one sync now"
"$syncd" --config "$linked" sync

step "Linked centre: staff search for a visitor, and record two more questions"
"$syncd" --config "$linked" search --lang en "passport belongs"
"$syncd" --config "$linked" log-query --lang en --topic rights \
    "Employer keeps my passport MB1234567, call me on 09 421 234 567"
"$syncd" --config "$linked" log-query --lang my --topic fees "ပွဲခ ၁၅၀၀၀၀၀ ကျပ် တောင်းတယ်၊ တရားဝင်လား"

step "Linked centre: the daemon runs; the central office publishes release 3"
"$syncd" --config "$linked" run 2> "$out/linked-centre/daemon.log" &
daemon_pid=$!
sed -i '0,/"status": "licensed"/s//"status": "suspended"/' "$out/central/content/agencies.json"
"$publish" release --content "$out/central/content" --repo "$repo" --key "$keys/publisher.key"
tries=0
until "$syncd" --config "$linked" status --json | grep -q '"release" : 3'; do
    tries=$((tries + 1))
    if [ "$tries" -gt 30 ]; then
        echo "The daemon did not install release 3 in time; see $out/linked-centre/daemon.log" >&2
        exit 1
    fi
    sleep 0.5
done

step "Linked centre: status while the daemon runs"
"$syncd" --config "$linked" status
kill -TERM "$daemon_pid"
wait "$daemon_pid" || true
daemon_pid=""
echo "Daemon log:"
cat "$out/linked-centre/daemon.log"

step "Central office: the questions arrived, sealed; open and count them"
"$publish" ingest --uploads "$out/central/srv/uploads" --key "$keys/inbox.key" \
    --db "$out/central/questions.sqlite"
"$publish" report --db "$out/central/questions.sqlite"
sqlite3 "$out/central/questions.sqlite" "SELECT text FROM query" 2>/dev/null || true
