# SPDX-License-Identifier: Apache-2.0
# The dlt698 plugin: its codec alone, byte-exact frames.
mb_add_unit_test(test_dlt698_codec unit/test_dlt698_codec.c LIBS mb_dlt698_codec)
