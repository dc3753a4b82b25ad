# SPDX-License-Identifier: Apache-2.0
# The DL/T 698.45 link layer and APDU readers (plugins/dlt698).
mb_add_fuzz_target(fuzz_dlt698_frame fuzz/fuzz_dlt698_frame.c LIBS mb_dlt698_codec)
mb_add_fuzz_target(fuzz_dlt698_apdu fuzz/fuzz_dlt698_apdu.c LIBS mb_dlt698_codec)
