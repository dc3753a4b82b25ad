#!/usr/bin/env bash
# The main job: install what is missing, build, and run meterbox-agent against
# simulated meters in accelerated time, printing every committed reading.
# Ctrl-C stops it cleanly.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh" plain

demo="$top/build/demo"
mkdir -p "$demo"
sed -e "s|@DEMO@|$demo|g" "$top/etc/demo/agent.conf.in" >"$demo/agent.conf"
"$top/build/agent/meterbox-agent" -t -c "$demo/agent.conf" -P "$top/build/plugins"
echo "demo: readings go to $demo/agent.db; Ctrl-C stops"
exec "$top/build/agent/meterbox-agent" -f -c "$demo/agent.conf" -P "$top/build/plugins"
