#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: install what is missing, build, and run the demo: a server,
# an agent and three simulated meters (scripts/demo-run.sh).  Ctrl-C stops it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
"$top/scripts/build.sh" plain
exec "$top/scripts/demo-run.sh" "$top/build"
