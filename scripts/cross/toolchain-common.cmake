# SPDX-License-Identifier: Apache-2.0
# Shared part of the cross toolchain files (scripts/cross/ARCH.cmake), which
# set MB_CROSS_ARCH, MB_CROSS_TRIPLET, MB_CROSS_QEMU and CMAKE_SYSTEM_PROCESSOR
# and then include this file.
#
# Compiler: Debian's cross gcc (package gcc-TRIPLET).  Headers and libraries:
# the sysroot made by scripts/cross/sysroot.sh, taken from the environment
# variable MB_CROSS_SYSROOT or else build-cross/sysroot-ARCH at the top of the
# tree.  Test binaries run under qemu-user with that sysroot as the ELF
# interpreter prefix (CMAKE_CROSSCOMPILING_EMULATOR), so `ctest` runs them
# without binfmt_misc.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${MB_CROSS_TRIPLET}-gcc)

if(DEFINED ENV{MB_CROSS_SYSROOT})
  set(CMAKE_SYSROOT "$ENV{MB_CROSS_SYSROOT}")
else()
  get_filename_component(CMAKE_SYSROOT
                         "${CMAKE_CURRENT_LIST_DIR}/../../build-cross/sysroot-${MB_CROSS_ARCH}" ABSOLUTE)
endif()
if(NOT EXISTS "${CMAKE_SYSROOT}/usr/include/stdio.h")
  message(FATAL_ERROR "no ${MB_CROSS_ARCH} sysroot at ${CMAKE_SYSROOT}: run scripts/cross/build.sh ${MB_CROSS_ARCH}")
endif()

# pkg-config finds the target's .pc files, and prefixes their paths with the
# sysroot.
set(ENV{PKG_CONFIG_DIR} "")
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_LIBDIR}
    "${CMAKE_SYSROOT}/usr/lib/${MB_CROSS_TRIPLET}/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")

# 64-bit off_t on the 32-bit targets too, as musl (OpenWrt) always has.
# Without it, readdir() in a 32-bit guest under qemu-user fails with
# EOVERFLOW on ext4: the host kernel sees a 64-bit process and hands out
# 64-bit directory offsets, which a real 32-bit kernel would not.  No
# library the agent links passes off_t in its API.  (time_t stays 32-bit
# on Debian 12's armhf and mipsel, as their libraries are built that way.)
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64")

set(CMAKE_CROSSCOMPILING_EMULATOR ${MB_CROSS_QEMU} -L ${CMAKE_SYSROOT})

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
