#pragma once
// Files that are whole or absent: written to a temporary file beside the
// target, synced, then renamed over it, so a killed process never leaves a
// half-written file under the target's name.

#include <filesystem>
#include <string_view>

namespace gradlab::io {

// Throws std::runtime_error naming the file when it cannot be written.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace gradlab::io
