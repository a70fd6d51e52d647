// Path matchers (Seastar's <seastar/http/matcher.hh>): pieces of a route's
// path. str_matcher matches fixed text; param_matcher captures one segment
// ("/42") or, with entire_path, the rest of the path, into parameters.
//
// Contract: match() returns the index just past what matched, or
// sstring::npos; values stored in parameters keep their leading '/'.
#pragma once

#include <cstddef>

#include "seastar/core/sstring.hh"
#include "seastar/http/common.hh"

namespace seastar::httpd {

class matcher {
public:
    virtual ~matcher() = default;
    virtual size_t match(const sstring& url, size_t ind, parameters& param) = 0;
};

class param_matcher : public matcher {
public:
    explicit param_matcher(const sstring& name, bool entire_path = false) : _name(name), _entire_path(entire_path) {}
    size_t match(const sstring& url, size_t ind, parameters& param) override;

private:
    sstring _name;
    bool _entire_path;
};

class str_matcher : public matcher {
public:
    explicit str_matcher(const sstring& cmp) : _cmp(cmp), _len(cmp.size()) {}
    size_t match(const sstring& url, size_t ind, parameters& param) override;

private:
    sstring _cmp;
    size_t _len;
};

} // namespace seastar::httpd
