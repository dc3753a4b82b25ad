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
