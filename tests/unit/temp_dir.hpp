#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace zsyncctl::test {

/// A fresh directory under $TMPDIR (mkdtemp), removed with everything in it when the object goes away.
/// Fails the test case (REQUIRE) when it cannot be created. Not copyable.
class TempDir {
public:
    explicit TempDir(std::string_view label = "test") {
        std::string pattern =
            (std::filesystem::temp_directory_path() / ("zsyncctl-" + std::string(label) + "-XXXXXX"))
                .string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    /// Writes `content` to `relative` (parents created) with `mode`; returns the full path.
    std::filesystem::path write(std::string_view relative, std::string_view content,
                                mode_t mode = 0644) const {
        std::filesystem::path file = path / relative;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary | std::ios::trunc) << content;
        ::chmod(file.c_str(), mode);
        return file;
    }

    std::filesystem::path path;
};

} // namespace zsyncctl::test
