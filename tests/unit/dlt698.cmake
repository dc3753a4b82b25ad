# SPDX-License-Identifier: Apache-2.0
# The dlt698 plugin: its codec alone, byte-exact frames.
mb_add_unit_test(test_dlt698_codec unit/test_dlt698_codec.c LIBS mb_dlt698_codec)

# The plugin's objects with the fake host, against the DL/T 698.45 meter
# simulator (tests/integration/dlt698_sim.py) on a pty and over TCP.
mb_add_unit_test(test_dlt698_plugin unit/test_dlt698_plugin.c unit/test_pysim.c
                 LIBS mb_dlt698_objects mb_test_fake_host)
target_compile_definitions(test_dlt698_plugin PRIVATE
  DLT698_SIM="${CMAKE_CURRENT_SOURCE_DIR}/integration/dlt698_sim.py")
set_tests_properties(test_dlt698_plugin PROPERTIES TIMEOUT 180 LABELS "unit;plugins"
                     ENVIRONMENT TMPDIR=${CMAKE_BINARY_DIR}/tmp)
