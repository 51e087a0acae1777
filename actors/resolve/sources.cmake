# actors/resolve: sources (paths relative to actors/)
list(APPEND D1_ACTOR_SOURCES
)
