# gateway-md network half (helper "databento-net"): CRAM, live gateway client,
# historical HTTP client, mock servers and their tests. Included at the end of
# gateway-md/CMakeLists.txt (after ofts_dbn exists).
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)   # Debian: libssl-dev

set(NET_DIR ${CMAKE_CURRENT_LIST_DIR})

# Clients: pure text-phase protocol + CRAM + the socket/HTTP shells.
add_library(ofts_dbnet STATIC
  ${NET_DIR}/cram.c ${NET_DIR}/live_proto.c ${NET_DIR}/live_client.c)
target_include_directories(ofts_dbnet PUBLIC ${NET_DIR})
target_link_libraries(ofts_dbnet PUBLIC ofts_dbn ofts PkgConfig::CRYPTO PkgConfig::CURL PkgConfig::ZSTD)

# Mock Databento servers (loopback only) and the DBN content they serve.
add_library(ofts_mock_dbn STATIC ${NET_DIR}/mock/mock_dbn.c)
target_include_directories(ofts_mock_dbn PUBLIC ${NET_DIR}/mock)
target_link_libraries(ofts_mock_dbn PUBLIC ofts_dbn PkgConfig::ZSTD)

add_executable(ofts-mock-databento-live ${NET_DIR}/mock/mock_live_gateway.c)
target_link_libraries(ofts-mock-databento-live PRIVATE ofts_mock_dbn ofts_dbnet)

ofts_add_test(NAME gateway_md_cram SOURCES ${NET_DIR}/tests/test_cram.c LIBS ofts_dbnet)
ofts_add_test(NAME gateway_md_live_proto SOURCES ${NET_DIR}/tests/test_live_proto.c LIBS ofts_dbnet)
ofts_add_test(NAME gateway_md_live
  SOURCES ${NET_DIR}/tests/test_live.c ${NET_DIR}/tests/net_mockproc.c LIBS ofts_dbnet TIMEOUT 90)
add_dependencies(test-gateway_md_live ofts-mock-databento-live)
ofts_add_test(NAME gateway_md_mock_live
  SOURCES ${NET_DIR}/tests/test_mock_live.c ${NET_DIR}/tests/net_mockproc.c LIBS ofts_dbnet TIMEOUT 60)
add_dependencies(test-gateway_md_mock_live ofts-mock-databento-live)

# Historical HTTP client and its mock server (libmicrohttpd).
target_sources(ofts_dbnet PRIVATE ${NET_DIR}/hist_client.c ${NET_DIR}/live_run.c)
if(TARGET PkgConfig::MHD)
  add_executable(ofts-mock-databento-hist ${NET_DIR}/mock/mock_hist_server.c)
  target_link_libraries(ofts-mock-databento-hist PRIVATE ofts_mock_dbn PkgConfig::MHD PkgConfig::CRYPTO)
  ofts_add_test(NAME gateway_md_hist
    SOURCES ${NET_DIR}/tests/test_hist.c ${NET_DIR}/tests/net_mockproc.c LIBS ofts_dbnet ofts_mock_dbn TIMEOUT 90)
  add_dependencies(test-gateway_md_hist ofts-mock-databento-hist)
endif()

# CLI: ofts-databento download|live
add_executable(ofts-databento ${NET_DIR}/databento_tool.c)
target_link_libraries(ofts-databento PRIVATE ofts_dbnet)
if(TARGET ofts-mock-databento-hist)
  ofts_add_test(NAME gateway_md_hist_cli
    SOURCES ${NET_DIR}/tests/test_hist_cli.c ${NET_DIR}/tests/net_mockproc.c LIBS ofts_mock_dbn TIMEOUT 90)
  add_dependencies(test-gateway_md_hist_cli ofts-databento ofts-mock-databento-hist ofts-mock-databento-live)
endif()
ofts_add_test(NAME gateway_md_live_run
  SOURCES ${NET_DIR}/tests/test_live_run.c ${NET_DIR}/tests/net_mockproc.c LIBS ofts_dbnet TIMEOUT 90)
add_dependencies(test-gateway_md_live_run ofts-mock-databento-live ofts-gateway-md)

# gateway-md's --live mode (main.c calls live_run).
if(TARGET ofts-gateway-md)
  target_link_libraries(ofts-gateway-md PRIVATE ofts_dbnet)
endif()

# libFuzzer target for the live text phase and the HTTP error parser.
if(OFTS_FUZZ)
  if(NOT TARGET fuzz-targets)
    add_custom_target(fuzz-targets)
  endif()
  add_executable(fuzz-live-proto ${NET_DIR}/fuzz_live_proto.c)
  target_compile_options(fuzz-live-proto PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz-live-proto PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz-live-proto PRIVATE ofts_dbnet)
  add_dependencies(fuzz-targets fuzz-live-proto)
endif()

# bench-live: live client throughput over loopback vs in-memory decoding.
ofts_add_bench(NAME live SOURCES ${NET_DIR}/bench_live.c LIBS ofts_dbnet ofts_mock_dbn)
add_dependencies(bench-live ofts-mock-databento-live)
