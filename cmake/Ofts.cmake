# Shared helpers for every folder's CMakeLists.

# Where tests find things: the real DBN samples (may be absent on a bare clone),
# the built binaries, and the source tree.
set(OFTS_SHARED_DBN "${CMAKE_SOURCE_DIR}/../shared/data/dbn")
set(OFTS_TEST_ENV
  "OFTS_SHARED_DBN=${OFTS_SHARED_DBN}"
  "OFTS_BIN=${CMAKE_BINARY_DIR}/bin"
  "OFTS_SRC=${CMAKE_SOURCE_DIR}"
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1"
  "LSAN_OPTIONS=suppressions=${CMAKE_SOURCE_DIR}/tools/lsan.supp:print_suppressions=0"
  "UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1")

# ofts_add_test(NAME name SOURCES a.c b.c LIBS x y [TIMEOUT s] [LABELS l])
# One cmocka program per module; registered with ctest under its name.
function(ofts_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(test-${T_NAME} ${T_SOURCES})
  target_link_libraries(test-${T_NAME} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${T_NAME} COMMAND test-${T_NAME})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${OFTS_TEST_ENV}" TIMEOUT ${T_TIMEOUT})
  if(T_LABELS)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()

# ofts_add_bench(NAME name SOURCES ... LIBS ...) -> build/bin/bench-<name>
# `make bench` builds the custom target bench-targets, which depends on every bench.
if(NOT TARGET bench-targets)
  add_custom_target(bench-targets)
endif()
function(ofts_add_bench)
  cmake_parse_arguments(B "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(bench-${B_NAME} ${B_SOURCES})
  target_link_libraries(bench-${B_NAME} PRIVATE ${B_LIBS})
  add_dependencies(bench-targets bench-${B_NAME})
endfunction()
