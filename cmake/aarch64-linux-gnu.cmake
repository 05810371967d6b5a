# Cross build for 64-bit ARM Linux with Debian's cross compiler (g++-aarch64-linux-gnu).
#
#   cmake -S . -B build-arm -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
#         -DLEDGE_ARM_SYSROOT=<dir> -DLEDGE_RUNTIME_ONLY=ON
#
# The C library and libstdc++ come with the cross compiler (/usr/aarch64-linux-gnu).
# LEDGE_ARM_SYSROOT names a folder with the arm64 builds of the other libraries, laid out
# as Debian installs them (usr/include, usr/lib/aarch64-linux-gnu): scripts/test_arm.sh
# fills one from Debian's arm64 packages. Libraries installed as multiarch arm64 packages
# (dpkg --add-architecture arm64) are found without it.
#
# Programs run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), so ctest and gtest's test
# discovery work from the x86-64 host.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# try_compile projects re-read this file; hand them the sysroot too.
set(CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LEDGE_ARM_SYSROOT)

set(LEDGE_ARM_LIBDIRS /usr/aarch64-linux-gnu/lib /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
if(LEDGE_ARM_SYSROOT)
  list(PREPEND CMAKE_FIND_ROOT_PATH ${LEDGE_ARM_SYSROOT})
  list(PREPEND LEDGE_ARM_LIBDIRS ${LEDGE_ARM_SYSROOT}/usr/lib/aarch64-linux-gnu
       ${LEDGE_ARM_SYSROOT}/lib/aarch64-linux-gnu)
endif()
# Libraries, headers and CMake packages only from the target's folders (multiarch paths
# under / are arm64-only); programs (protoc, flatc, ...) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Shared libraries that others depend on (libXNNPACK needs libcpuinfo) are looked up at
# link time in the same folders.
# (CMake reads this file more than once: set, never append.)
set(_ledge_arm_link_flags "")
foreach(dir ${LEDGE_ARM_LIBDIRS})
  string(APPEND _ledge_arm_link_flags " -Wl,-rpath-link,${dir}")
endforeach()
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_ledge_arm_link_flags}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_ledge_arm_link_flags}")

# qemu-user runs the programs: -L for the dynamic loader and the C library, the library
# path for the rest.
list(JOIN LEDGE_ARM_LIBDIRS ":" _ledge_arm_library_path)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu -E
                                  LD_LIBRARY_PATH=${_ledge_arm_library_path})
