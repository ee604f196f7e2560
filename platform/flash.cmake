# flash.cmake: the flash library (platform/flash.h) and its unit tests.
#
# include()d by the top-level CMakeLists.txt after enable_testing(). gh_error.c
# comes from gh_base (or gh_core) when that target exists at include time;
# otherwise the library compiles it itself. Uses GH_WARN_FLAGS; tests are built
# unless GH_TESTS is OFF, and only when cmocka is found.

set(GH_FLASH_DIR ${CMAKE_CURRENT_LIST_DIR})
get_filename_component(GH_FLASH_ROOT ${GH_FLASH_DIR}/.. ABSOLUTE)

add_library(gh_flash STATIC
    ${GH_FLASH_DIR}/flash_common.c
    ${GH_FLASH_DIR}/flash_dir.c
    ${GH_FLASH_DIR}/flash_raw.c
    ${GH_FLASH_DIR}/flash_io_posix.c)
target_include_directories(gh_flash PUBLIC ${GH_FLASH_DIR} ${GH_FLASH_ROOT}/server)
target_compile_options(gh_flash PRIVATE ${GH_WARN_FLAGS})
if(TARGET gh_base)
    target_link_libraries(gh_flash PUBLIC gh_base)
elseif(TARGET gh_core)
    target_link_libraries(gh_flash PUBLIC gh_core)
else()
    target_sources(gh_flash PRIVATE ${GH_FLASH_ROOT}/server/gh_error.c)
endif()

if(GH_TESTS AND GH_UNIT_TESTS)   # cmocka: the top-level CMakeLists.txt
    set(GH_FLASH_TESTS ${GH_FLASH_ROOT}/tests/unit)

    # Both backends on the real filesystem (a temporary folder under $TMPDIR).
    add_executable(test_flash ${GH_FLASH_TESTS}/test_flash.c)
    target_include_directories(test_flash PRIVATE ${GH_CMOCKA_INCLUDE})
    target_compile_options(test_flash PRIVATE ${GH_WARN_FLAGS})
    target_link_libraries(test_flash PRIVATE gh_flash ${GH_CMOCKA_LIB})
    add_test(NAME flash COMMAND test_flash)

    # Power cuts at every step and at random ones (FLASH_FAULT_SEED,
    # FLASH_FAULT_RUNS to reproduce or lengthen).
    add_executable(test_flash_faults
        ${GH_FLASH_TESTS}/test_flash_faults.c
        ${GH_FLASH_TESTS}/test_flash_fake.c)
    target_include_directories(test_flash_faults PRIVATE ${GH_CMOCKA_INCLUDE} ${GH_FLASH_TESTS})
    target_compile_options(test_flash_faults PRIVATE ${GH_WARN_FLAGS})
    target_link_libraries(test_flash_faults PRIVATE gh_flash ${GH_CMOCKA_LIB})
    add_test(NAME flash_faults COMMAND test_flash_faults)
endif()
