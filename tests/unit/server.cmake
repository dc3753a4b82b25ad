# SPDX-License-Identifier: Apache-2.0
# Unit tests of meterbox-server's pure modules.
mb_add_unit_test(test_srv_token unit/test_srv_token.c LIBS server_core)
mb_add_unit_test(test_srv_router unit/test_srv_router.c LIBS server_core)
mb_add_unit_test(test_srv_batch unit/test_srv_batch.c LIBS server_core)
mb_add_unit_test(test_srv_settle unit/test_srv_settle.c LIBS server_core)
mb_add_unit_test(test_srv_deadline unit/test_srv_deadline.c LIBS server_core)
mb_add_unit_test(test_srv_workers unit/test_srv_workers.c LIBS server_core)
# writers to one SQLite file take turns, those outside a transaction too
mb_add_unit_test(test_srv_db_gate unit/test_srv_db_gate.c LIBS server_core)
# the monitoring wall's pure parts: /metrics text, CSV, HMAC and webhook
# backoff, session cookie, static paths
mb_add_unit_test(test_srv_metrics unit/test_srv_metrics.c LIBS server_core)
mb_add_unit_test(test_srv_csv unit/test_srv_csv.c LIBS server_core)
mb_add_unit_test(test_srv_webhook unit/test_srv_webhook.c LIBS server_core)
mb_add_unit_test(test_srv_regions unit/test_srv_regions.c LIBS server_core)
# meterboxctl's text helpers: display width, did-you-mean, errors in words
mb_add_unit_test(test_ctl_text unit/test_ctl_text.c ${CMAKE_SOURCE_DIR}/tools/ctl_width.c
                 ${CMAKE_SOURCE_DIR}/tools/ctl_suggest.c ${CMAKE_SOURCE_DIR}/tools/ctl_errors.c
                 LIBS PkgConfig::JSONC PkgConfig::LIBCURL)
target_include_directories(test_ctl_text PRIVATE ${CMAKE_SOURCE_DIR}/tools)
# a 2xx is on stable storage: power cuts under load through a fault-injecting
# SQLite VFS (unit/powercut_vfs.c, test code only)
mb_add_unit_test(test_srv_powercut unit/test_srv_powercut.c unit/powercut_vfs.c LIBS server_core)
target_compile_definitions(test_srv_powercut PRIVATE MB_SRC="${CMAKE_SOURCE_DIR}")
# line loss: boundary points at midnight, energy, the rate and its band
mb_add_unit_test(test_srv_area_calc unit/test_srv_area_calc.c LIBS server_core)
# strict JSON: duplicate keys, single quotes, UTF-8 (srv_jwalk)
mb_add_unit_test(test_srv_jwalk unit/test_srv_jwalk.c LIBS server_core)
