# release.cmake: build profiles for devices. include()d by the top-level
# CMakeLists.txt before deps.cmake, so wolfSSL, civetweb and inih get the
# same flags as our code.
#
#   GH_RELEASE_SMALL  size first (what a firmware image ships): -Os, one section
#                     per function and object so the linker drops what nothing
#                     calls, link-time optimisation, symbols stripped from
#                     `gatehouse`. Works with any CMAKE_BUILD_TYPE (its -O is
#                     overridden); MinSizeRel is the natural one.
#   GH_STATIC         `gatehouse` as one static executable: the firmware image
#                     carries no C library of its own. Tests stay dynamic.
#   GH_LTO            part of GH_RELEASE_SMALL; off to read a map or `nm`
#                     output per object file.
#   GH_MAX_PAGE_SIZE  the largest page size the binary's segments are aligned
#                     for (GH_RELEASE_SMALL). The aarch64 linker's default is
#                     64 KiB, for kernels built with 64 KiB pages, and pads
#                     the file to match (~64 KB); the boards' kernels use
#                     4 KiB pages. Set 65536 for a 64 KiB-page kernel: a
#                     4 KiB-aligned binary does not load there.

option(GH_RELEASE_SMALL "size-optimised release: -Os, section GC, LTO, stripped" OFF)
option(GH_STATIC "link gatehouse statically" OFF)
option(GH_LTO "link-time optimisation when GH_RELEASE_SMALL is on" ON)
set(GH_MAX_PAGE_SIZE 4096 CACHE STRING "page size the release binary is aligned for (GH_RELEASE_SMALL)")

if(GH_RELEASE_SMALL)
  if(GH_SANITIZE)
    message(FATAL_ERROR "GH_RELEASE_SMALL and GH_SANITIZE do not go together")
  endif()
  # No unwind tables: C with no pthread_cancel and no backtraces never
  # unwinds, and .eh_frame is ~10% of the binary (66 KB on aarch64).
  add_compile_options(-Os -ffunction-sections -fdata-sections
    -fno-asynchronous-unwind-tables -fno-unwind-tables)
  # user_settings.h trims wolfSSL for devices when it sees this (WOLFSSL_SP_SMALL)
  add_compile_definitions(GH_RELEASE_SMALL)
  add_link_options(-Wl,--gc-sections -Wl,-O1 -Wl,--as-needed -Wl,-z,max-page-size=${GH_MAX_PAGE_SIZE})
  if(GH_LTO)
    include(CheckIPOSupported)
    check_ipo_supported(RESULT _gh_ipo OUTPUT _gh_ipo_why LANGUAGES C)
    if(_gh_ipo)
      set(CMAKE_INTERPROCEDURAL_OPTIMIZATION ON)
    else()
      message(STATUS "GH_LTO: the compiler cannot do LTO here, building without: ${_gh_ipo_why}")
    endif()
  endif()
endif()

# The gatehouse target exists only after server/ is added: apply its link
# options at the end of the top-level directory.
function(_gh_release_link_options)
  if(NOT TARGET gatehouse)
    return()
  endif()
  if(GH_STATIC)
    target_link_options(gatehouse PRIVATE -static)
  endif()
  if(GH_RELEASE_SMALL)
    target_link_options(gatehouse PRIVATE -s)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _gh_release_link_options)
