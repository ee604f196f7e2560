# Cross build for 32-bit ARM Linux, hard-float ARMv7 (Debian's gcc-arm-linux-gnueabihf).
#   cmake -S . -B build-armhf -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchain/arm-linux-gnueabihf.cmake
# Tests run the target's binaries under qemu-user with the cross sysroot as the
# dynamic loader's root; binfmt_misc is not assumed, so the emulator is named.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(GH_CROSS_TRIPLE arm-linux-gnueabihf)
set(GH_CROSS_SYSROOT /usr/${GH_CROSS_TRIPLE})

set(CMAKE_C_COMPILER ${GH_CROSS_TRIPLE}-gcc)
set(CMAKE_ASM_COMPILER ${GH_CROSS_TRIPLE}-gcc)
set(CMAKE_STRIP ${GH_CROSS_TRIPLE}-strip CACHE FILEPATH "")
# 64-bit file offsets and time_t on a 32-bit target: without them readdir()
# fails with EOVERFLOW on a large directory offset (always under qemu-user on
# a 64-bit host; on ext4 and NFS on real boards too), and the clock stops in
# 2038. Every object is built with them: struct layouts must agree.
set(CMAKE_C_FLAGS_INIT "-D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64")
# Target libraries beyond glibc (cmocka for the unit tests), unpacked from
# Debian's packages by toolchain/cross.sh (toolchain/target-debs.sh).
set(GH_TARGET_EXTRA_ROOT "" CACHE PATH "folder with the target's extra libraries (usr/lib/${GH_CROSS_TRIPLE})")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm;-L;${GH_CROSS_SYSROOT})
if(GH_TARGET_EXTRA_ROOT)
  list(APPEND CMAKE_CROSSCOMPILING_EMULATOR -E LD_LIBRARY_PATH=${GH_TARGET_EXTRA_ROOT}/usr/lib/${GH_CROSS_TRIPLE})
endif()
# Everything under qemu-user is slower: the integration tests scale their waits.
set(GH_SLOW 4 CACHE STRING "factor for the integration tests' waits")

# Headers and libraries only from the target's side; programs from the host.
set(CMAKE_FIND_ROOT_PATH ${GH_CROSS_SYSROOT} ${GH_TARGET_EXTRA_ROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
