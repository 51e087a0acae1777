# tests/actors/mobile: the datum side (paths relative to tests/)
list(APPEND D1_TEST_SOURCES
  actors/mobile/datum_value_test.cpp
  actors/mobile/datum_source_test.cpp
  actors/mobile/datum_raw_test.cpp
  actors/mobile/datum_npy_test.cpp
  actors/mobile/datum_tiff_test.cpp
  actors/mobile/datum_hdf5_test.cpp
  actors/mobile/hdf5_child_test.cpp
  actors/mobile/datum_files_test.cpp
  actors/mobile/datum_hash_test.cpp
  actors/mobile/datum_job_test.cpp
)
