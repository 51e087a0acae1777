# The stand-in node's own tests (Python unittest, standard library only).
add_test(NAME d1_test_node.unittest
  COMMAND python3 -m unittest discover -s ${PROJECT_SOURCE_DIR}/tools/d1-test-node/tests -t ${PROJECT_SOURCE_DIR}/tools/d1-test-node -v)
