# actors/mobile: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  mobile/file_system.cpp
  mobile/beneath.cpp
  mobile/file_reads.cpp
  mobile/file_checks.cpp
  mobile/copy_batch.cpp
  mobile/remove_batch.cpp
  mobile/spec_handlers.cpp
  mobile/catalogue_db.cpp
  mobile/catalogue_migrate.cpp
  mobile/catalogue_check.cpp
  mobile/catalogue.cpp
  mobile/workers.cpp
  mobile/job_kinds.cpp
  mobile/register_job.cpp
  mobile/copy_job.cpp
  mobile/move_job.cpp
  mobile/remove_job.cpp
  mobile/change_root_job.cpp
  mobile/verify_job.cpp
  mobile/job_dispatch.cpp
  mobile/copy_phase.cpp
  mobile/hash_phase.cpp
  mobile/remove_phase.cpp
  mobile/job_manager.cpp
  mobile/mobile.cpp
)
