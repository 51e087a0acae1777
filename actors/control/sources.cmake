# actors/control: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  control/daemon_config.cpp
  control/daemon.cpp
  control/daemon_system.cpp
  control/control_server.cpp
  control/control_requests.cpp
  control/control_parse.cpp
  control/control_json.cpp
  control/control_plane.cpp
  control/supervision.cpp
  control/catalogue_backup.cpp
  control/control_stage.cpp
)
