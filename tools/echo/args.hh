// A small --key=value / --key value command-line reader for the echo tools.
//
// Contract: get() returns the flag's value or the default; an unknown flag,
// a missing value or a malformed number throws std::invalid_argument (main
// prints it and exits 2). Single thread, start-up only.
//
//     tools::args a(argc, argv, {"port", "conns"});
//     unsigned port = a.get_unsigned("port", 10000);
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

namespace tools {

class args {
    std::map<std::string, std::string> _v;

public:
    // Flags listed in `booleans` take no value (present means "true").
    args(int ac, char** av, std::initializer_list<const char*> known,
         std::initializer_list<const char*> booleans = {}) {
        std::set<std::string> k(known.begin(), known.end());
        std::set<std::string> b(booleans.begin(), booleans.end());
        for (int i = 1; i < ac; ++i) {
            std::string a = av[i];
            if (a.rfind("--", 0) != 0) {
                throw std::invalid_argument("unexpected argument: " + a);
            }
            a = a.substr(2);
            for (auto& c : a) {
                c = c == '_' ? '-' : c;
            }
            std::string key = a, value;
            if (auto eq = a.find('='); eq != std::string::npos) {
                key = a.substr(0, eq);
                value = a.substr(eq + 1);
            } else if (b.count(key)) {
                value = "true";
            } else if (i + 1 < ac) {
                value = av[++i];
            } else {
                throw std::invalid_argument("--" + key + " needs a value");
            }
            if (!k.count(key) && !b.count(key)) {
                throw std::invalid_argument("unknown flag --" + key);
            }
            _v[key] = value;
        }
    }

    bool has(const std::string& key) const { return _v.count(key) != 0; }
    std::string get(const std::string& key, const std::string& def) const {
        auto it = _v.find(key);
        return it == _v.end() ? def : it->second;
    }
    unsigned long get_unsigned(const std::string& key, unsigned long def) const {
        auto it = _v.find(key);
        if (it == _v.end()) {
            return def;
        }
        char* end = nullptr;
        auto v = std::strtoul(it->second.c_str(), &end, 10);
        if (it->second.empty() || *end) {
            throw std::invalid_argument("--" + key + " wants a number, got " + it->second);
        }
        return v;
    }
    double get_double(const std::string& key, double def) const {
        auto it = _v.find(key);
        if (it == _v.end()) {
            return def;
        }
        char* end = nullptr;
        auto v = std::strtod(it->second.c_str(), &end);
        if (it->second.empty() || *end) {
            throw std::invalid_argument("--" + key + " wants a number, got " + it->second);
        }
        return v;
    }
    bool get_bool(const std::string& key) const { return get(key, "false") == "true"; }
};

} // namespace tools
