#pragma once
// Writing a file so that a crash at any moment leaves either the old content or
// the new one, never a mix: a temp file beside it, fsync, rename over it, fsync of
// the directory. Used for state snapshots and generated rule files.
// Thread safety: each call has its own temp file; callers that may write the same
// file from several threads serialise them so the newest content lands last.

#include <sys/types.h>

#include <filesystem>
#include <initializer_list>
#include <string_view>

namespace lle::core {

// The parts are written one after the other. Throws std::runtime_error naming
// the file and the step that failed.
void write_file_atomic(const std::filesystem::path& file,
                       std::initializer_list<std::string_view> parts, mode_t mode);

}  // namespace lle::core
