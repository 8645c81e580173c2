#!/usr/bin/env bash
# `make demo`: example portraits → two folders, the sandbox's Microsoft 365 tenant and Google
# Workspace domain, then pulled back.
set -euo pipefail
portrait=${PORTRAIT:-.build/debug/portrait}
demo=${DEMO:-demo}

rm -rf "$demo" && mkdir -p "$demo"
"$portrait" samples "$demo/photos" --count 24

# The emulated Microsoft 365 tenant and Google domain, on a free port, stopped whatever happens.
"$portrait" sandbox --port 0 --users 40 --latency-ms 20 --ready-file "$demo/sandbox.url" \
  --google-key-file "$demo/google-key.json" 2>"$demo/sandbox.log" &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/sandbox.url" ] && break; sleep 0.1; done
[ -s "$demo/sandbox.url" ] || { cat "$demo/sandbox.log" >&2; echo "error: the sandbox did not start" >&2; exit 1; }
url=$(cat "$demo/sandbox.url")
sed "s|http://127.0.0.1:8650|$url|" examples/portrait.toml > "$demo/portrait.toml"
export PORTRAIT_SANDBOX_SECRET=sandbox-secret

run() { echo; echo "\$ portrait $*"; "$portrait" "$@"; }
run check --config "$demo/portrait.toml"
echo; echo "== Dry run: what would be written"
run push --config "$demo/portrait.toml" --from photographer --to directory,thumbnails,m365,gws --dry-run
echo; echo "== Push to two folders, the Microsoft 365 sandbox and the Google Workspace sandbox"
run push --config "$demo/portrait.toml" --from photographer --to directory,thumbnails,m365,gws
echo; echo "== Push again: nothing changed, nothing is written"
run push --config "$demo/portrait.toml" --from photographer --to directory,thumbnails,m365,gws
echo; echo "== Pull every photo back from the tenant (Graph keeps its own re-encoded copy)"
run pull --config "$demo/portrait.toml" --from m365 --out "$demo/pulled"
echo; echo "== And from Google (its own 96×96 copy)"
run pull --config "$demo/portrait.toml" --from gws --out "$demo/pulled-google"

echo; echo "== Sync: the photographer's delivery and Microsoft 365, where people may change their own photo"
run sync --config "$demo/portrait.toml"
# Donald Wilson, who was away on photo day, sets his own photo in Microsoft 365, as in Outlook (a Graph upload outside Portrait).
token=$(curl -s -d "grant_type=client_credentials&client_id=11111111-2222-4333-8444-555555555555&client_secret=$PORTRAIT_SANDBOX_SECRET&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default" \
  "$url/contoso.test/oauth2/v2.0/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
selfie=$(ls "$demo/photos"/*.jpg | sed -n 5p)
curl -sf -o /dev/null -X PUT -H "Authorization: Bearer $token" -H "Content-Type: image/jpeg" --data-binary "@$selfie" \
  "$url/v1.0/users/donald.wilson25@example.com/photo/\$value"
echo; echo "== Donald Wilson, away on photo day, set his own photo in Microsoft 365: the next sync holds it for approval"
run sync --config "$demo/portrait.toml"
run queue --config "$demo/portrait.toml"

largest=$(ls -S -l "$demo/out/96" | awk 'NR==2 {print $5}')
echo
echo "Renditions: $demo/out/648 ($(ls "$demo/out/648" | wc -l) files) and $demo/out/96 ($(ls "$demo/out/96" | wc -l) files, largest $largest bytes)."
echo "Pulled from the sandbox: $demo/pulled and $demo/pulled-google, each with manifest.csv. Sandbox counters: $(curl -s "$url/_sandbox/stats" 2>/dev/null || echo "(curl not installed)")"

approver=ada.lovelace@example.com
if [ -n "${CONSOLE:-}" ]; then
  echo
  echo "HR's console: http://127.0.0.1:8651/ — sign in with Microsoft as $approver, password sandbox (the sandbox's approvers group), and approve Donald Wilson's photo. Ctrl-C stops the console and the sandbox."
  "$portrait" serve --config "$demo/portrait.toml"
else
  echo "HR's console: \`make console\` serves it at http://127.0.0.1:8651/ — sign in with Microsoft as $approver, password sandbox, to approve Donald Wilson's photo."
fi
