// program_args: an argc/argv pair for tests that run a program's main loop
// (app_template::run) in-process with a given command line.
//
//     seastar::testing::program_args a("my_test", {"--smp=1", "--overprovisioned"});
//     app.run(a.ac(), a.av(), ...);
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace seastar::testing {

class program_args {
    std::vector<std::string> _storage;
    std::vector<char*> _ptrs;

public:
    program_args(std::string program, std::vector<std::string> args) : _storage(std::move(args)) {
        _storage.insert(_storage.begin(), std::move(program));
        for (auto& s : _storage) {
            _ptrs.push_back(s.data());
        }
        _ptrs.push_back(nullptr);
    }
    program_args(const program_args&) = delete;
    program_args& operator=(const program_args&) = delete;

    int ac() const noexcept { return int(_storage.size()); }
    char** av() noexcept { return _ptrs.data(); }
};

} // namespace seastar::testing
