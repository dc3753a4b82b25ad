# SPDX-License-Identifier: Apache-2.0
# The DL/T 645 frame parser and the value decoders (plugins/dlt645).
mb_add_fuzz_target(fuzz_dlt645_frame fuzz/fuzz_dlt645_frame.c LIBS mb_dlt645_codec)
mb_add_fuzz_target(fuzz_dlt645_value fuzz/fuzz_dlt645_value.c LIBS mb_dlt645_codec)
