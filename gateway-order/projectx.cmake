# ProjectX (TopstepX) REST client, SignalR user hub, and the local mock server.
# Included by gateway-order/CMakeLists.txt; owned by the "projectx" helper.
# See docs/topstepx.md.

add_library(ofts_projectx STATIC
  projectx_model.c projectx_budget.c projectx_client.c signalr.c projectx_userhub.c projectx_hubws.c)
target_include_directories(ofts_projectx PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(ofts_projectx PUBLIC ofts PkgConfig::CURL PkgConfig::JANSSON PkgConfig::LWS m)

# Operator's tool: check credentials/account/contracts, look, watch the hub.
add_executable(ofts-projectx projectx_cli.c)
target_link_libraries(ofts-projectx PRIVATE ofts_projectx)

# The mock REST server: tests start it (fork/exec from $OFTS_BIN).
if(TARGET PkgConfig::MHD)
  add_executable(ofts-mock-projectx mock/mock_projectx.c mock/mock_hub.c)
  target_link_libraries(ofts-mock-projectx PRIVATE ofts_projectx PkgConfig::MHD PkgConfig::LWS
                        PkgConfig::JANSSON m pthread)

  ofts_add_test(NAME projectx_client
                SOURCES tests/test_projectx_client.c tests/projectx_harness.c
                LIBS ofts_projectx PkgConfig::CURL TIMEOUT 90)
  add_dependencies(test-projectx_client ofts-mock-projectx)
  ofts_add_test(NAME projectx_hubws
                SOURCES tests/test_projectx_hubws.c tests/projectx_harness.c
                LIBS ofts_projectx PkgConfig::CURL TIMEOUT 90)
  add_dependencies(test-projectx_hubws ofts-mock-projectx)
  ofts_add_test(NAME projectx_cli
                SOURCES tests/test_projectx_cli.c tests/projectx_harness.c
                LIBS ofts_projectx PkgConfig::CURL TIMEOUT 90)
  add_dependencies(test-projectx_cli ofts-mock-projectx ofts-projectx)
  ofts_add_test(NAME projectx_mock
                SOURCES tests/test_mock_projectx.c tests/projectx_harness.c
                LIBS ofts_projectx PkgConfig::CURL TIMEOUT 90)
  add_dependencies(test-projectx_mock ofts-mock-projectx)
endif()

ofts_add_test(NAME projectx_model SOURCES tests/test_projectx_model.c LIBS ofts_projectx)
ofts_add_test(NAME projectx_budget SOURCES tests/test_projectx_budget.c LIBS ofts_projectx TIMEOUT 60)
ofts_add_test(NAME projectx_userhub SOURCES tests/test_projectx_userhub.c LIBS ofts_projectx)
ofts_add_test(NAME signalr SOURCES tests/test_signalr.c LIBS ofts_projectx)

ofts_add_bench(NAME signalr SOURCES tests/bench_signalr.c LIBS ofts_projectx)
