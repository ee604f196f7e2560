# certmap.cmake: the certificate mapping engine and its tests.
#
# include(${CMAKE_SOURCE_DIR}/server/certmap.cmake) from the top-level
# CMakeLists.txt after add_subdirectory(server) and enable_testing(). Gives:
#   gh_mapping      (only when server/CMakeLists.txt has not made it) static
#                   library: certinfo, certmap, roles, ini_reader, check, gh_error
#   gh_check_tool   `gh_check_tool check FILE.ini [--cert C.pem]`, until `gatehouse` exists
#   tests           unit tests (cmocka), the `check` corpus, fuzz corpus replay
#   GH_FUZZ=ON      libFuzzer targets fuzz_certmap_load / fuzz_certmap_decide (clang)

set(_ghm_dir "${CMAKE_CURRENT_LIST_DIR}")
get_filename_component(_ghm_root "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
if(NOT DEFINED GH_WARN_FLAGS)
  set(GH_WARN_FLAGS -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes)
endif()

if(NOT TARGET gh_mapping)
  add_library(gh_mapping STATIC
    ${_ghm_dir}/certinfo.c ${_ghm_dir}/certmap.c ${_ghm_dir}/roles.c
    ${_ghm_dir}/ini_reader.c ${_ghm_dir}/check.c ${_ghm_dir}/gh_error.c)
  target_include_directories(gh_mapping PUBLIC "${_ghm_dir}")
  target_link_libraries(gh_mapping PUBLIC gh_wolfssl gh_inih)
  target_compile_options(gh_mapping PRIVATE ${GH_WARN_FLAGS})
endif()

add_executable(gh_check_tool ${_ghm_root}/tests/check/check_tool.c)
target_link_libraries(gh_check_tool PRIVATE gh_mapping)
target_compile_options(gh_check_tool PRIVATE ${GH_WARN_FLAGS})

# ---------------------------------------------------------------- fuzzing
# Each fuzz target is also a plain program (any compiler) that replays files
# and folders given on its command line: that is how ctest runs the corpora.
foreach(_t fuzz_certmap_load fuzz_certmap_decide)
  if(GH_FUZZ)
    add_executable(${_t} ${_ghm_root}/tests/fuzz/${_t}.c)
    target_compile_options(${_t} PRIVATE ${GH_WARN_FLAGS} -fsanitize=fuzzer)
    target_link_options(${_t} PRIVATE -fsanitize=fuzzer)
  else()
    add_executable(${_t} ${_ghm_root}/tests/fuzz/${_t}.c ${_ghm_root}/tests/fuzz/fuzz_certmap_replay.c)
    target_compile_options(${_t} PRIVATE ${GH_WARN_FLAGS})
  endif()
  target_link_libraries(${_t} PRIVATE gh_mapping)
endforeach()
if(GH_FUZZ)
  # gh_mapping itself is instrumented for coverage feedback.
  target_compile_options(gh_mapping PRIVATE -fsanitize=fuzzer-no-link)
endif()

# ---------------------------------------------------------------- tests
if(GH_TESTS)
  # The test PKI: the `pki` fixture of the top-level CMakeLists.txt.
  set(GH_CERTMAP_PKI "${GH_PKI}")

  if(GH_UNIT_TESTS)
    foreach(_t test_certmap test_certmap_load test_certinfo)
      add_executable(${_t} ${_ghm_root}/tests/unit/${_t}.c)
      target_include_directories(${_t} PRIVATE "${GH_CMOCKA_INCLUDE}")
      target_link_libraries(${_t} PRIVATE gh_mapping "${GH_CMOCKA_LIB}")
      target_compile_options(${_t} PRIVATE ${GH_WARN_FLAGS})
    endforeach()
    add_test(NAME certmap_unit_match COMMAND test_certmap)
    add_test(NAME certmap_unit_load COMMAND test_certmap_load)
    add_test(NAME certmap_unit_certinfo COMMAND test_certinfo "${GH_CERTMAP_PKI}")
    set_tests_properties(certmap_unit_certinfo PROPERTIES FIXTURES_REQUIRED pki)
  endif()

  add_test(NAME certmap_fuzz_replay_load
    COMMAND fuzz_certmap_load "${_ghm_root}/tests/fuzz/corpus/certmap_load"
            "${_ghm_root}/tests/data/certmap")
  add_test(NAME certmap_fuzz_replay_decide
    COMMAND fuzz_certmap_decide "${_ghm_root}/tests/fuzz/corpus/certmap_decide")

  # The `check` corpus runs through the real binary once it exists.
  function(_ghm_check_tests)
    if(TARGET gatehouse)
      set(_bin "$<TARGET_FILE:gatehouse>")
    else()
      set(_bin "$<TARGET_FILE:gh_check_tool>")
    endif()
    add_test(NAME certmap_check_corpus
      COMMAND bash "${_ghm_root}/tests/check/run-corpus.sh" "${_bin}" "${_ghm_root}/tests/data/certmap")
    add_test(NAME certmap_check_cert
      COMMAND bash "${_ghm_root}/tests/check/run-cert-cases.sh" "${_bin}"
              "${_ghm_root}/tests/data/certmap/cert-cases" "${GH_CERTMAP_PKI}")
    set_tests_properties(certmap_check_cert PROPERTIES FIXTURES_REQUIRED pki)
    # cross builds run the binary under the emulator (toolchain/*.cmake)
    if(CMAKE_CROSSCOMPILING_EMULATOR)
      list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " _runner)
      set_tests_properties(certmap_check_corpus certmap_check_cert PROPERTIES
        ENVIRONMENT "GATEHOUSE_RUNNER=${_runner}")
    endif()
  endfunction()
  cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _ghm_check_tests)
endif()
