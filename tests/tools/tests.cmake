# tests/tools: the stand-in node's own tests (Python unittest, standard library only), and
# unit tests of the d1drive executable's pure parts (its sources are compiled in here).
add_test(NAME d1_test_node.unittest
  COMMAND python3 -m unittest discover -s ${PROJECT_SOURCE_DIR}/tools/d1-test-node/tests -t ${PROJECT_SOURCE_DIR}/tools/d1-test-node -v)
target_sources(d1drive_tests PRIVATE
  tools/mount_helper_test.cpp
  ${PROJECT_SOURCE_DIR}/tools/mount_helper.cpp)
