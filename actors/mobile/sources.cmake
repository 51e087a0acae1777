# actors/mobile: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  mobile/file_ops.cpp
  mobile/spec_handlers.cpp
  mobile/datum_value.cpp
  mobile/datum_source.cpp
  mobile/datum_raw.cpp
  mobile/datum_npy.cpp
  mobile/datum_tiff.cpp
  mobile/datum_hdf5.cpp
  mobile/datum_files.cpp
  mobile/datum_hash.cpp
  mobile/catalogue_db.cpp
  mobile/catalogue.cpp
  mobile/workers.cpp
  mobile/job_manager.cpp
  mobile/mobile.cpp
)
