# tests/messages (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  messages/error_test.cpp
  messages/inspect_roundtrip_test.cpp
  messages/error_folder_test.cpp
  messages/path_codec_test.cpp
  messages/solr_query_test.cpp
  messages/listing_stream_test.cpp
  messages/datum_types_test.cpp
  messages/mobile_types_test.cpp
)
