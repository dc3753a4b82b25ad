# SPDX-License-Identifier: Apache-2.0
# meterbox-server's JSON request bodies (readings batches and the admin bodies).
if(MB_BUILD_SERVER)
  mb_add_fuzz_target(fuzz_srv_json fuzz/fuzz_srv_json.c LIBS server_core)
endif()
# the region names file of the wall (server/dash/srv_regions.c)
if(MB_BUILD_SERVER)
  mb_add_fuzz_target(fuzz_srv_regions fuzz/fuzz_srv_regions.c LIBS server_core)
endif()
