# SPDX-License-Identifier: Apache-2.0
# Unit tests of the agent's modules.
mb_add_unit_test(test_loader unit/test_loader.c LIBS agent_core)
target_compile_definitions(test_loader PRIVATE MB_TEST_PLUGIN_DIR="${MB_TEST_PLUGIN_DIR}")
add_dependencies(test_loader ${MB_TEST_PLUGIN_TARGETS})
mb_add_unit_test(test_store unit/test_store.c LIBS agent_core)
mb_add_unit_test(test_policy unit/test_policy.c LIBS agent_core)
mb_add_unit_test(test_schedule unit/test_schedule.c LIBS agent_core)
mb_add_unit_test(test_snapsig unit/test_snapsig.c LIBS mb_common)
mb_add_unit_test(test_uplink unit/test_uplink.c LIBS agent_core)
target_compile_definitions(test_uplink PRIVATE MB_UPLINK_DATA="${CMAKE_CURRENT_SOURCE_DIR}/data/uplink")
