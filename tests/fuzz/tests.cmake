# tests/fuzz: a fuzz target per parser of outside input (docs/hardening.md). Every build
# replays each target's seeds and committed regressions (fuzz_regressions.*); with
# D1_FUZZ=ON each target is also a libFuzzer executable fuzz_<target> (`make fuzz`).
set(D1_FUZZ_TARGETS path_codec solr_json system_metadata object_locations node_list
  object_formats query_engine resource_map config control_request storage_record ad_template
  npy_file tiff_file hdf5_file)
set(d1_fuzz_libs d1_actors d1_storage d1_messages nlohmann_json::nlohmann_json)
# Only the two files that read seeds see the checkout's directory (ccache shares the rest).
set_source_files_properties(fuzz/fuzz_support.cpp fuzz/config_fuzz.cpp PROPERTIES
  COMPILE_DEFINITIONS "D1_SOURCE_DIR=\"${PROJECT_SOURCE_DIR}\"")

set(d1_fuzz_sources)
foreach(target ${D1_FUZZ_TARGETS})
  list(APPEND d1_fuzz_sources fuzz/${target}_fuzz.cpp)
endforeach()
add_executable(fuzz_replay fuzz/replay_main.cpp fuzz/fuzz_support.cpp fuzz/datum_fuzz.cpp
  ${d1_fuzz_sources})
target_link_libraries(fuzz_replay PRIVATE ${d1_fuzz_libs})
set_target_properties(fuzz_replay PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})

foreach(target ${D1_FUZZ_TARGETS})
  set(inputs --seeds)
  if(EXISTS ${PROJECT_SOURCE_DIR}/tests/fuzz/regressions/${target})
    list(APPEND inputs ${PROJECT_SOURCE_DIR}/tests/fuzz/regressions/${target})
  endif()
  add_test(NAME fuzz_regressions.${target} COMMAND fuzz_replay ${target} ${inputs})
  set_tests_properties(fuzz_regressions.${target} PROPERTIES TIMEOUT 120)
endforeach()

if(D1_FUZZ)
  set(d1_fuzz_executables fuzz_replay)
  foreach(target ${D1_FUZZ_TARGETS})
    add_executable(fuzz_${target} fuzz/${target}_fuzz.cpp fuzz/fuzz_support.cpp
      fuzz/datum_fuzz.cpp)
    target_link_libraries(fuzz_${target} PRIVATE ${d1_fuzz_libs})
    target_compile_definitions(fuzz_${target} PRIVATE D1_LIBFUZZER)
    target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
    set_target_properties(fuzz_${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY
      ${PROJECT_BINARY_DIR}/fuzz)
    list(APPEND d1_fuzz_executables fuzz_${target})
  endforeach()
  add_custom_target(fuzz_targets DEPENDS ${d1_fuzz_executables})
endif()
