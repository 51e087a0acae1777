// Registers every d1drive message type and the "d1" error category with CAF.
#pragma once

#include <caf/actor_system_config.hpp>

namespace d1 {

/// Adds all message types and the error renderer to `cfg`. Call once before the system.
void add_message_types(caf::actor_system_config& cfg);

}  // namespace d1
