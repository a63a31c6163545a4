#include "gradlab/io/atomic_file.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <unistd.h>

namespace gradlab::io {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
    throw std::runtime_error("file '" + path.string() + "': " + what);
}

// The temporary file beside `path`, created exclusively (never clobbering one
// of another process), with the permissions umask allows.
std::pair<int, std::filesystem::path> create_temporary_beside(const std::filesystem::path& path) {
    static std::atomic<unsigned> serial{0};
    for (int attempt = 0; attempt < 100; ++attempt) {
        // ".name.tmp.<pid>.<serial>", appended piece by piece: GCC 12 warns
        // falsely (-Wrestrict) about "." + std::string.
        std::string name(1, '.');
        name += path.filename().string();
        name += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(serial++);
        auto temporary = path;
        temporary.replace_filename(name);
        const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return {fd, temporary};
        if (errno != EEXIST)
            fail(path, "cannot create a temporary file beside it: " + std::string(std::strerror(errno)));
    }
    fail(path, "cannot find a free temporary file name beside it");
}

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
    const auto [fd, temporary] = create_temporary_beside(path);
    std::string problem;
    for (std::size_t written = 0; written < bytes.size() && problem.empty();) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n > 0) written += static_cast<std::size_t>(n);
        else if (n == 0) problem = "the write made no progress";
        else if (errno != EINTR) problem = std::strerror(errno);
    }
    if (problem.empty() && ::fsync(fd) != 0) problem = std::strerror(errno);
    if (::close(fd) != 0 && problem.empty()) problem = std::strerror(errno);
    std::error_code renamed;
    if (problem.empty()) std::filesystem::rename(temporary, path, renamed);
    if (problem.empty() && renamed) problem = renamed.message();
    if (!problem.empty()) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        fail(path, "cannot be written: " + problem);
    }
}

}  // namespace gradlab::io
