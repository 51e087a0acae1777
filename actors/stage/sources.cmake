# actors/stage: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
  stage/stage_file.cpp
  stage/stager.cpp
)
