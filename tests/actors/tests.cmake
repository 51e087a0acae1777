# tests/actors (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  actors/resolve/resolvers_test.cpp
  actors/fs/fs_gateway_test.cpp
  actors/fs/crawl_guard_test.cpp
  actors/dataone/dataone_xml_test.cpp
  actors/dataone/solr_json_test.cpp
  actors/dataone/http_retry_test.cpp
  actors/dataone/node_client_test.cpp
  actors/dataone/solr_querier_test.cpp
  actors/fs/attr_cache_test.cpp
  actors/fs/dir_cache_test.cpp
  actors/dataone/checksum_test.cpp
  actors/dataone/http_client_test.cpp
  actors/dataone/content_cache_test.cpp
  actors/dataone/ore_parser_test.cpp
  actors/resolve/faceted_search_test.cpp
  actors/resolve/package_test.cpp
  actors/resolve/status_test.cpp
  actors/control/daemon_config_test.cpp
  actors/control/control_server_test.cpp
  actors/mobile/spec_handlers_test.cpp
  actors/mobile/catalogue_test.cpp
  actors/mobile/file_ops_test.cpp
  actors/mobile/workers_test.cpp
  actors/mobile/job_manager_test.cpp
  actors/mobile/crash_test.cpp
)
