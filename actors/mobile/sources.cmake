# actors/mobile: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  mobile/file_ops.cpp
  mobile/spec_handlers.cpp
  mobile/catalogue_db.cpp
  mobile/catalogue.cpp
  mobile/workers.cpp
  mobile/job_manager.cpp
  mobile/mobile.cpp
)
