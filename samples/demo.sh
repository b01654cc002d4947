#!/bin/sh
# The main job on the bundled samples: the central office publishes two
# releases of samples/content, and a centre without network receives them
# on USB sticks, as field staff would bring them. Everything it makes is
# under samples/demo-output/, which is replaced on each run.
set -eu
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

swift build
bin=$(swift build --show-bin-path)
publish="$bin/mrc-publish"
syncd="$bin/mrc-syncd"

out=samples/demo-output
rm -rf "$out"
mkdir -p "$out/central" "$out/centre"
keys="$out/central/keys"
repo="$out/central/repo"

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
