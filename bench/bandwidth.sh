#!/bin/sh
# Measures how well `bandwidth_limit` holds: a centre syncs a ~1.8 MB
# snapshot from nginx on loopback, once without a limit (the reference) and
# once capped, and the ratio of the measured rate to the cap is reported.
# The target is a ratio between 0.9 and 1.1 over a transfer of 10 s or more;
# the time the cap adds is the capped sync minus the uncapped one.
#
# Usage: bench/bandwidth.sh [LIMIT_BYTES_PER_SECOND]   (default 131072)
# Prints a Markdown table and writes bench/results/bandwidth.json.
set -eu
cd "$(dirname "$0")/.."

limit=${1:-131072}
swift build >/dev/null
bin=$(swift build --show-bin-path)
work=$(mktemp -d /tmp/mrc-bench-bandwidth.XXXXXX)
cleanup() {
    nginx_stop
    rm -rf "$work"
}
trap cleanup EXIT

python3 bench/make-content.py "$work/content" 720 1
"$bin/mrc-publish" keygen --out "$work/keys" 2>/dev/null
"$bin/mrc-publish" release --content "$work/content" --repo "$work/srv/repository" \
    --key "$work/keys/publisher.key" >/dev/null 2>&1
size=$(stat -c %s "$work/srv/repository/mm-main-1.snapshot.mrcb")

. scripts/lib/nginx.sh
nginx_start "$work/nginx" "$work/srv"
port=$nginx_port

# Seconds (with fractions) that one sync from an empty replica takes.
timed_sync() {
    name=$1
    extra=$2
    mkdir -p "$work/$name"
    cp "$work/keys/publisher.pub" "$work/$name/"
    printf 'state_dir = state\ntrusted_keys = publisher.pub\nchannel = mm-main\ncentre_id = bench\nrepo_url = http://127.0.0.1:%s/\n%s\n' \
        "$port" "$extra" > "$work/$name/mrc-syncd.conf"
    start=$(date +%s.%N)
    "$bin/mrc-syncd" --config "$work/$name/mrc-syncd.conf" sync >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

reference=$(timed_sync unlimited "")
capped=$(timed_sync capped "bandwidth_limit = $limit")
# Both syncs start the program, fetch the index, verify and apply the
# snapshot; the uncapped one does that and a loopback transfer of a few
# milliseconds. What the cap adds is the capped sync minus that.
transfer=$(echo "$capped - $reference" | bc -l)
rate=$(echo "$size / $transfer" | bc -l)
ratio=$(echo "$rate / $limit" | bc -l)
reference_rate=$(echo "$size / $reference" | bc -l)

printf '| measure | value |\n| --- | --- |\n'
printf '| bundle size | %d bytes |\n' "$size"
printf '| uncapped transfer (reference) | %.2f s, %.0f bytes/s |\n' "$reference" "$reference_rate"
printf '| bandwidth_limit | %d bytes/s |\n' "$limit"
printf '| capped sync | %.2f s |\n' "$capped"
printf '| capped transfer (capped sync minus reference) | %.2f s, %.0f bytes/s |\n' \
    "$transfer" "$rate"
printf '| measured rate / limit | %.3f (target 0.9 to 1.1) |\n' "$ratio"

mkdir -p bench/results
printf '{"bundle_bytes": %d, "limit_bytes_per_second": %d, "capped_seconds": %.3f, "transfer_seconds": %.3f, "capped_rate": %.0f, "reference_seconds": %.3f, "rate_over_limit": %.4f}\n' \
    "$size" "$limit" "$capped" "$transfer" "$rate" "$reference" "$ratio" > bench/results/bandwidth.json

# Within 10% of the cap, over a transfer long enough to mean something.
echo "$ratio >= 0.9 && $ratio <= 1.1 && $transfer >= 10" | bc -l | grep -q 1
