# SPDX-License-Identifier: Apache-2.0
# Integration tests: real processes on this machine, driven by shell scripts.
set(_mb_it_env
  MB_AGENT=$<TARGET_FILE:meterbox-agent>
  MB_PLUGIN_DIR=${MB_BUILD_PLUGIN_DIR}
  MB_TEST_PLUGIN_DIR=${MB_TEST_PLUGIN_DIR}
  MB_SRC=${CMAKE_SOURCE_DIR}
  TMPDIR=${MB_TEST_TMPDIR})

# mb_label_script(name script): label a test by what its script does, for
# scripts/test.sh's ThreadSanitizer stage: "agent" when it runs
# meterbox-agent, "faketime" when it preloads libfaketime.
function(mb_label_script name script)
  file(READ ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script} _body)
  set(_labels "")
  if(_body MATCHES "start_agent|MB_AGENT|crash_setup")
    list(APPEND _labels agent)
  endif()
  if(_body MATCHES "faketime")
    list(APPEND _labels faketime)
  endif()
  if(_labels)
    set_property(TEST ${name} APPEND PROPERTY LABELS ${_labels})
  endif()
endfunction()

function(mb_add_script_test name script)
  add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/integration/${script})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "${_mb_it_env}" TIMEOUT 300 ${ARGN})
  mb_label_script(${name} ${script})
endfunction()

mb_add_script_test(agent_check_configs check_configs.sh)
mb_add_script_test(agent_once once.sh)
mb_add_script_test(agent_survives_bad_plugins survive.sh)
mb_add_script_test(agent_kill9 kill9.sh)
mb_add_script_test(agent_policy policy.sh)
mb_add_script_test(plugins_lifecycle plugins_lifecycle.sh)
mb_add_script_test(agent_offline_cutoff offline_cutoff.sh)
mb_add_script_test(agent_fields agent_fields.sh)
mb_add_script_test(agent_relay_retry relay_retry.sh)
# the money runs out while agent.db is full (a tmpfs mount: root, else 77)
mb_add_script_test(agent_disk_full_trip disk_full_trip.sh SKIP_RETURN_CODE 77)
# modbus plugin against a pymodbus simulator (TCP, RTU over a socat pty pair);
# exit 77 (skipped) without /usr/bin/python3's pymodbus or socat.
if(TARGET modbus)
  mb_add_script_test(modbus_tcp modbus_tcp.sh SKIP_RETURN_CODE 77)
  mb_add_script_test(modbus_rtu modbus_rtu.sh SKIP_RETURN_CODE 77)
  mb_add_script_test(modbus_errors modbus_errors.sh SKIP_RETURN_CODE 77)
  mb_add_script_test(modbus_relay modbus_relay.sh SKIP_RETURN_CODE 77)
  mb_add_script_test(modbus_blocks modbus_blocks.sh SKIP_RETURN_CODE 77)
  set_property(TEST modbus_relay APPEND PROPERTY ENVIRONMENT MB_MODBUS_CTL=$<TARGET_FILE:test_modbus_ctl>)
endif()
mb_add_script_test(dlt645_read dlt645_read.sh)
mb_add_script_test(dlt645_discovery dlt645_discovery.sh)
mb_add_script_test(dlt698_read dlt698_read.sh)
mb_add_script_test(dlt698_discovery dlt698_discovery.sh)
mb_add_script_test(agent_reload reload.sh)
mb_add_script_test(agent_lifecycle lifecycle.sh)
# Packaging (issue 8): the staged install tree and the out-of-tree example
# plugin against it, sd_notify, systemd units, man pages, the OpenWrt package.
mb_add_script_test(install_tree install_tree.sh)
set_property(TEST install_tree APPEND PROPERTY ENVIRONMENT MB_BUILD=${CMAKE_BINARY_DIR}
  MB_I_PREFIX=${CMAKE_INSTALL_PREFIX} MB_I_SBINDIR=${CMAKE_INSTALL_FULL_SBINDIR}
  MB_I_BINDIR=${CMAKE_INSTALL_FULL_BINDIR} MB_I_LIBDIR=${CMAKE_INSTALL_FULL_LIBDIR}
  MB_I_INCLUDEDIR=${CMAKE_INSTALL_FULL_INCLUDEDIR} MB_I_SYSCONFDIR=${CMAKE_INSTALL_FULL_SYSCONFDIR}
  MB_I_MANDIR=${CMAKE_INSTALL_FULL_MANDIR} MB_I_DATADIR=${CMAKE_INSTALL_FULL_DATADIR})
mb_add_script_test(packaging_notify packaging_notify.sh)
mb_add_script_test(packaging_systemd packaging_systemd.sh)
mb_add_script_test(packaging_man packaging_man.sh)
set_property(TEST packaging_systemd packaging_man APPEND PROPERTY ENVIRONMENT MB_BUILD=${CMAKE_BINARY_DIR})
mb_add_script_test(packaging_openwrt packaging_openwrt.sh)
mb_add_script_test(packaging_uci packaging_uci.sh)
mb_add_script_test(packaging_release packaging_release.sh)
set_property(TEST packaging_openwrt APPEND PROPERTY ENVIRONMENT MB_BUILD=${CMAKE_BINARY_DIR})
