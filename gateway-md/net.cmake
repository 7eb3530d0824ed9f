# gateway-md network half (helper "databento-net"): CRAM, live gateway client,
# historical HTTP client, mock servers and their tests. Included from
# gateway-md/CMakeLists.txt.
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)   # Debian: libssl-dev

set(NET_DIR ${CMAKE_CURRENT_LIST_DIR})
add_library(ofts_dbnet STATIC ${NET_DIR}/cram.c ${NET_DIR}/live_proto.c)
target_include_directories(ofts_dbnet PUBLIC ${NET_DIR})
target_link_libraries(ofts_dbnet PUBLIC ofts PkgConfig::CRYPTO)

ofts_add_test(NAME gateway_md_cram SOURCES ${NET_DIR}/tests/test_cram.c LIBS ofts_dbnet)
ofts_add_test(NAME gateway_md_live_proto SOURCES ${NET_DIR}/tests/test_live_proto.c LIBS ofts_dbnet)
