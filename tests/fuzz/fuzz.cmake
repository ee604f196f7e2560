# fuzz.cmake: the fuzz targets beyond the mapping engine's (server/certmap.cmake
# has fuzz_certmap_load and fuzz_certmap_decide). include()d from
# tests/CMakeLists.txt, after the server's libraries exist.
#
#   fuzz_provision      PUT /api/certmap's decision path: load, error JSON, the 409 rule
#   fuzz_http_request   any bytes as an HTTP request to civetweb configured as serve.c
#                       does, taken apart as routes.c and the handlers do
#
# Without GH_FUZZ each target is a plain program that replays the files and
# folders named on its command line (tests/fuzz/fuzz_certmap_replay.c): ctest
# replays the kept corpora that way in every configuration. With GH_FUZZ=ON
# (clang) they are libFuzzer programs, and the code they exercise is
# instrumented for coverage; see tests/fuzz/README.md for the commands.

set(_ghf_dir "${CMAKE_CURRENT_LIST_DIR}")

add_executable(fuzz_provision ${_ghf_dir}/fuzz_provision.c)
target_link_libraries(fuzz_provision PRIVATE gh_mapping gh_base)
add_executable(fuzz_http_request ${_ghf_dir}/fuzz_http_request.c)
target_link_libraries(fuzz_http_request PRIVATE gh_server gh_pool gh_civetweb)

foreach(_t fuzz_provision fuzz_http_request)
  target_compile_options(${_t} PRIVATE ${GH_WARN_FLAGS})
  if(GH_FUZZ)
    target_compile_options(${_t} PRIVATE -fsanitize=fuzzer)
    target_link_options(${_t} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${_t} PRIVATE ${_ghf_dir}/fuzz_certmap_replay.c)
  endif()
endforeach()

if(GH_FUZZ)
  # coverage feedback from the code under test (gh_mapping: certmap.cmake)
  foreach(_l gh_base gh_server gh_civetweb)
    target_compile_options(${_l} PRIVATE -fsanitize=fuzzer-no-link)
  endforeach()
endif()

if(GH_TESTS AND NOT GH_FUZZ)
  add_test(NAME fuzz_replay_provision
    COMMAND fuzz_provision "${_ghf_dir}/corpus/provision")
  add_test(NAME fuzz_replay_http_request
    COMMAND fuzz_http_request "${_ghf_dir}/corpus/http_request")
endif()
