# SPDX-License-Identifier: Apache-2.0
# Fuzz targets added with the fault tests (issue 10): the tariff file parser
# (both daemons), the server answer the agent applies, and server.conf.
mb_add_fuzz_target(fuzz_tariff fuzz/fuzz_tariff.c LIBS mb_common)
mb_add_fuzz_target(fuzz_agent_snapshot fuzz/fuzz_agent_snapshot.c LIBS agent_core)
if(MB_BUILD_SERVER)
  mb_add_fuzz_target(fuzz_srv_config fuzz/fuzz_srv_config.c LIBS server_core)
endif()
