# SPDX-License-Identifier: Apache-2.0
# The dlt645 plugin: its frame codec alone, and the built plugin dlopen()ed
# with a fake host against the DL/T 645 meter simulator on a pty.
mb_add_unit_test(test_dlt645_frame unit/test_dlt645_frame.c LIBS mb_dlt645_codec)

mb_add_unit_test(test_dlt645_plugin unit/test_dlt645_plugin.c LIBS meterbox_sdk ${CMAKE_DL_LIBS})
target_compile_definitions(test_dlt645_plugin PRIVATE
  DLT_PLUGIN="${MB_BUILD_PLUGIN_DIR}/dlt645.so"
  DLT_SIM="${CMAKE_CURRENT_SOURCE_DIR}/integration/dlt645_sim.py")
add_dependencies(test_dlt645_plugin dlt645)
set_tests_properties(test_dlt645_plugin PROPERTIES TIMEOUT 120)
