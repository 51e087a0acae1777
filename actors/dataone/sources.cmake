# actors/dataone: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  dataone/dataone_xml.cpp
  dataone/solr_json.cpp
  dataone/http_retry.cpp
  dataone/node_client.cpp
  dataone/solr_querier.cpp
  dataone/http_client.cpp
  dataone/byte_ranges.cpp
  dataone/object_stream.cpp
  dataone/range_sink.cpp
  dataone/content_cache.cpp
  dataone/content_cache_store.cpp
  dataone/content_cache_transfers.cpp
  dataone/content_cache_report.cpp
  dataone/ore_parser.cpp
)
