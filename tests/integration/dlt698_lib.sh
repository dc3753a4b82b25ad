# SPDX-License-Identifier: Apache-2.0
# Helpers for the DL/T 698.45 integration tests (sourced after lib.sh): the
# DL/T 645 tests' start_sim, stop_sim and check_json, with the DL/T 698.45
# meter simulator (dlt698_sim.py) in place of theirs.  With --tcp PORT the
# simulator listens on TCP: PTY is then "TCP <port>" and sim_port gives it.
. "$(dirname "${BASH_SOURCE[0]}")/dlt645_lib.sh"
SIM_PY="$MB_SRC/tests/integration/dlt698_sim.py"

sim_port() { echo "${PTY#TCP }"; }
