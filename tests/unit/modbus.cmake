# SPDX-License-Identifier: Apache-2.0
# Unit tests of the modbus plugin (plugins/modbus), built when the plugin is.
if(TARGET mb_modbus_pure)
  mb_add_unit_test(test_modbus_decode unit/test_modbus_decode.c LIBS mb_modbus_pure)
  mb_add_unit_test(test_modbus_map unit/test_modbus_map.c LIBS mb_modbus_pure)
  mb_add_unit_test(test_modbus_plugin unit/test_modbus_plugin.c unit/test_sim_host.c
                   LIBS mb_modbus_objects mb_modbus_pure)
  set_tests_properties(test_modbus_decode test_modbus_map test_modbus_plugin
                       PROPERTIES LABELS "unit;plugins" TIMEOUT 60)
  # Not a test: drives the plugin (relay, reconnect) for tests/integration/modbus_*.sh.
  add_executable(test_modbus_ctl unit/test_modbus_ctl.c unit/test_sim_host.c)
  target_link_libraries(test_modbus_ctl PRIVATE mb_modbus_objects mb_modbus_pure)
endif()
