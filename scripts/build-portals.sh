#!/usr/bin/env bash
# Builds the admin and builder portals (Leptos, WebAssembly) into dist/admin and dist/builder, which
# the server serves at /admin/ and /builder/. Safe to re-run; needs no network beyond crates.io.
# Honours CARGO_TARGET_DIR.
#
# wasm-opt comes from the npm package binaryen (pinned): Debian's binaryen (version 108) produces
# WebAssembly that fails in the browser without any build error. Without npm the step is skipped.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

portals=(admin builder)

rustup target add wasm32-unknown-unknown

# The CLI must be exactly the version of the wasm-bindgen crate in Cargo.lock, or the glue it writes
# does not match the compiled WebAssembly.
wasm_bindgen_version=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [[ -z "$wasm_bindgen_version" ]]; then
    echo "wasm-bindgen is not in Cargo.lock" >&2
    exit 1
fi
if [[ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wasm_bindgen_version" ]]; then
    # Without --locked: a locked install fails on the registry mirror this project builds with.
    cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

packages=()
for portal in "${portals[@]}"; do
    packages+=(-p "$portal-ui")
done
# Leptos's erase_components boxes every component's view type instead of monomorphising one deep
# generic type per component: about 12 % less WebAssembly for the admin portal, same behaviour.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="${CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS:-} --cfg erase_components"
cargo build --profile wasm-release --target wasm32-unknown-unknown "${packages[@]}"

# Ask cargo rather than assume ./target: CARGO_TARGET_DIR or a cargo config may move it.
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -E 's/.*"target_directory":"([^"]*)".*/\1/')

wasm_opt=""
binaryen_version=132
tools="${FAIRYDUST_TOOLS_DIR:-$HOME/.cache/fairydust-tools}"
if [[ -x "$tools/node_modules/.bin/wasm-opt" ]] \
    && [[ "$(cat "$tools/binaryen-version" 2>/dev/null)" == "$binaryen_version" ]]; then
    wasm_opt="$tools/node_modules/.bin/wasm-opt"
elif command -v npm >/dev/null; then
    mkdir -p "$tools"
    if npm install --prefix "$tools" --silent --no-audit --no-fund "binaryen@$binaryen_version"; then
        echo "$binaryen_version" > "$tools/binaryen-version"
        wasm_opt="$tools/node_modules/.bin/wasm-opt"
    fi
fi
[[ -n "$wasm_opt" ]] || echo "npm is missing: skipping wasm-opt (the portals work, about 25 % larger)"

for portal in "${portals[@]}"; do
    out="dist/$portal"
    # Start clean so files of an older build never linger.
    rm -rf "$out"
    mkdir -p "$out"
    # The function-name section is a quarter of the gzipped file and only names functions in
    # browser stack traces (panic messages stay readable); PORTAL_WASM_NAMES=1 keeps it for debugging.
    names=(--remove-name-section)
    if [[ "${PORTAL_WASM_NAMES:-}" == 1 ]]; then
        names=()
    fi
    wasm-bindgen --target web --no-typescript "${names[@]}" --out-name "${portal}_ui" --out-dir "$out" \
        "$target_dir/wasm32-unknown-unknown/wasm-release/$portal-ui.wasm"
    if [[ -n "$wasm_opt" ]]; then
        # The features rustc's wasm32 target emits by default; wasm-opt must accept them all.
        "$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
            --enable-mutable-globals --enable-reference-types --enable-multivalue \
            "$out/${portal}_ui_bg.wasm" -o "$out/${portal}_ui_bg.wasm"
    fi
    cp "$portal-ui"/static/* "$out"/
    cp portal-kit/static/portal.css "$out"/
done

# A brace left open in the stylesheet silently drops every rule after it (a merge did that once).
awk '{ opened += gsub(/\{/, "{"); closed += gsub(/\}/, "}") } END {
  if (opened != closed) { printf "portal.css: %d { but %d }\n", opened, closed; exit 1 } }' portal-kit/static/portal.css

echo
echo "Portal sizes (bytes):"
printf '  %-36s %10s %10s\n' file raw gzip
for file in dist/*/*; do
    printf '  %-36s %10s %10s\n' "$file" "$(wc -c < "$file")" "$(gzip -9c "$file" | wc -c)"
done

# The budget from the admin-console issue: each portal's WebAssembly at most 600 KiB gzipped.
limit=$((600 * 1024))
for portal in "${portals[@]}"; do
    wasm="dist/$portal/${portal}_ui_bg.wasm"
    size=$(gzip -9c "$wasm" | wc -c)
    if (( size > limit )); then
        echo "$wasm is $size bytes gzipped, over the $limit-byte budget (docs/BENCHMARKS.md)" >&2
        exit 1
    fi
done
