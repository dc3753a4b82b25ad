# SPDX-License-Identifier: Apache-2.0
mb_add_fuzz_target(fuzz_agent_config fuzz/fuzz_agent_config.c LIBS agent_core)
mb_add_fuzz_target(fuzz_agent_uplink fuzz/fuzz_agent_uplink.c LIBS agent_core)
