// The one place fuse/ includes libfuse: every file sees the same API version (3.14
// low-level). Actors never include this header.
#pragma once

#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
