# SPDX-License-Identifier: Apache-2.0
# Fuzz targets of the modbus plugin (plugins/modbus): register decoding, the
# map option's text and the answer checks.  Corpora in corpus/fuzz_modbus_*/.
if(TARGET mb_modbus_pure)
  mb_add_fuzz_target(fuzz_modbus_decode fuzz/fuzz_modbus_decode.c LIBS mb_modbus_pure)
  mb_add_fuzz_target(fuzz_modbus_map fuzz/fuzz_modbus_map.c LIBS mb_modbus_pure)
  mb_add_fuzz_target(fuzz_modbus_frame fuzz/fuzz_modbus_frame.c LIBS mb_modbus_pure)
endif()
