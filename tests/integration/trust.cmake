# SPDX-License-Identifier: Apache-2.0
# Fault and hostile-input tests (issue 10): the crash harness, network,
# disk and clock faults, HTTP limits and the authorization matrix.  Each
# starts real processes (mb_add_system_test, integration/server.cmake).
mb_add_system_test(crash_short crash_short.sh)
mb_add_system_test(crash_relay crash_relay.sh)
mb_add_system_test(fault_net fault_net.sh)
mb_add_system_test(authz authz.sh)
mb_add_system_test(fault_disk fault_disk.sh SKIP_RETURN_CODE 77)
mb_add_system_test(fault_clock fault_clock.sh SKIP_RETURN_CODE 77)
mb_add_system_test(fault_http fault_http.sh)
# Grouped commits through SIGKILL and power cuts (tests/faults/powercut_preload.c).
mb_add_system_test(powercut powercut.sh)
set_property(TEST powercut APPEND PROPERTY ENVIRONMENT MB_POWERCUT=$<TARGET_FILE:powercut_preload>)
mb_add_system_test(store_loss store_loss.sh)
# The same against PostgreSQL (not fault_disk: SQLite's full disk;
# pg_disk_full.sh is PostgreSQL's).
mb_add_system_pg_test(crash_short_pg crash_short.sh)
mb_add_system_pg_test(crash_relay_pg crash_relay.sh)
mb_add_system_pg_test(fault_net_pg fault_net.sh)
mb_add_system_pg_test(authz_pg authz.sh)
mb_add_system_pg_test(fault_clock_pg fault_clock.sh)
mb_add_system_pg_test(fault_http_pg fault_http.sh)
mb_add_system_pg_test(store_loss_pg store_loss.sh)
