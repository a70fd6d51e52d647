#include "seastar/http/request_parser.hh"

#include <array>
#include <string_view>

namespace seastar {

namespace {

// RFC 9110 token characters (method and field names).
constexpr std::array<bool, 256> make_tchar() {
    std::array<bool, 256> t{};
    for (int c = '0'; c <= '9'; ++c) {
        t[c] = true;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
        t[c] = true;
        t[c - 'a' + 'A'] = true;
    }
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
        t[uint8_t(c)] = true;
    }
    return t;
}

// Field-value bytes: visible ASCII, space, tab and obs-text (0x80-0xff).
constexpr std::array<bool, 256> make_vchar() {
    std::array<bool, 256> t{};
    for (int c = 0x21; c <= 0x7e; ++c) {
        t[c] = true;
    }
    for (int c = 0x80; c <= 0xff; ++c) {
        t[c] = true;
    }
    t[' '] = true;
    t['\t'] = true;
    return t;
}

constexpr auto tchar = make_tchar();
constexpr auto vchar = make_vchar();

bool is_tchar(char c) noexcept {
    return tchar[uint8_t(c)];
}
bool is_vchar(char c) noexcept {
    return vchar[uint8_t(c)];
}
// Request-target bytes: visible ASCII.
bool is_target(char c) noexcept {
    return c > 0x20 && c < 0x7f;
}

// Leading empty lines a client may send before a request (RFC 9112 2.2).
constexpr size_t max_blank_lines = 16;
constexpr size_t max_method = 32;
constexpr size_t max_version = 16;

std::string_view trim(std::string_view v) noexcept {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) {
        v.remove_prefix(1);
    }
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) {
        v.remove_suffix(1);
    }
    return v;
}

} // namespace

void http_request_parser::init() {
    _state = state::start;
    _started = false;
    _chunked = false;
    _line_bytes = 0;
    _header_bytes = 0;
    _blank_lines = 0;
    _remainder = 0;
    _method.clear();
    _target.clear();
    _version.clear();
    _name.clear();
    _value.clear();
    _error_status = status_type::bad_request;
    _error_message.clear();
    _req = std::make_unique<http::request>();
}

void http_request_parser::fail(status_type status, const char* why) {
    _state = state::error;
    _error_status = status;
    _error_message = why;
}

void http_request_parser::parse_eof() noexcept {
    if (_state == state::done || _state == state::error) {
        return;
    }
    if (!_started) {
        _state = state::eof;
    } else {
        _state = state::error;
        _error_status = status_type::bad_request;
        _error_message = "connection closed inside the request head";
    }
}

bool http_request_parser::add_header() {
    auto value = trim(_value);
    if (_req->_headers.size() >= _limits.max_headers) {
        fail(status_type::request_header_fields_too_large, "too many header fields");
        return false;
    }
    auto it = _req->_headers.find(sstring(_name));
    if (it == _req->_headers.end()) {
        _req->_headers.emplace(sstring(_name), sstring(value));
    } else if (case_insensitive_cmp()(_name, "Content-Length")) {
        if (std::string_view(it->second) != value) {
            fail(status_type::bad_request, "conflicting Content-Length fields");
            return false;
        }
    } else if (case_insensitive_cmp()(_name, "Host")) {
        fail(status_type::bad_request, "more than one Host field");
        return false;
    } else {
        // Repeated fields combine into one comma-separated list (RFC 9110 5.3).
        it->second += ", ";
        it->second += sstring(value);
    }
    _name.clear();
    _value.clear();
    return true;
}

void http_request_parser::finish() {
    auto& req = *_req;
    if (_version == "HTTP/1.1") {
        req._version = "1.1";
    } else if (_version == "HTTP/1.0") {
        req._version = "1.0";
    } else if (_version.size() == 8 && _version.starts_with("HTTP/") && std::isdigit(uint8_t(_version[5])) &&
               _version[6] == '.' && std::isdigit(uint8_t(_version[7]))) {
        fail(status_type::http_version_not_supported, "unsupported HTTP version");
        return;
    } else {
        fail(status_type::bad_request, "malformed HTTP version");
        return;
    }
    req._method = sstring(_method);
    // Origin form ("/path"), asterisk form (OPTIONS *) or absolute form
    // ("http://host/path", reduced to its path).
    std::string_view target(_target);
    if (target.starts_with("http://") || target.starts_with("https://")) {
        auto rest = target.substr(target.find("//") + 2);
        auto slash = rest.find_first_of("/?");
        auto authority = rest.substr(0, slash);
        if (authority.empty()) {
            fail(status_type::bad_request, "absolute URI without a host");
            return;
        }
        req._headers[sstring("Host")] = sstring(authority);
        target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
        req._url = target.front() == '?' ? "/" + sstring(target) : sstring(target);
    } else if (target == "*" && _method == "OPTIONS") {
        req._url = "*";
    } else if (target.starts_with('/')) {
        req._url = sstring(target);
    } else {
        fail(status_type::bad_request, "malformed request target");
        return;
    }
    if (req._version == "1.1" && !req._headers.contains(sstring("Host"))) {
        fail(status_type::bad_request, "HTTP/1.1 request without Host");
        return;
    }
    auto te = req._headers.find(sstring("Transfer-Encoding"));
    auto cl = req._headers.find(sstring("Content-Length"));
    if (te != req._headers.end()) {
        if (cl != req._headers.end()) {
            fail(status_type::bad_request, "both Transfer-Encoding and Content-Length");
            return;
        }
        if (req._version == "1.0") {
            fail(status_type::bad_request, "Transfer-Encoding in an HTTP/1.0 request");
            return;
        }
        if (!case_insensitive_cmp()(trim(te->second), "chunked")) {
            fail(status_type::not_implemented, "unsupported transfer coding");
            return;
        }
        _chunked = true;
    } else if (cl != req._headers.end()) {
        std::string_view v(cl->second);
        if (v.empty() || v.size() > 18) {
            fail(status_type::bad_request, "malformed Content-Length");
            return;
        }
        size_t len = 0;
        for (char c : v) {
            if (c < '0' || c > '9') {
                fail(status_type::bad_request, "malformed Content-Length");
                return;
            }
            len = len * 10 + size_t(c - '0');
        }
        req.content_length = len;
    }
    auto ct = req.get_header("Content-Type");
    if (ct.find("multipart/") == 0) {
        req.content_type_class = http::request::ctclass::multipart;
    } else if (ct.find("application/x-www-form-urlencoded") == 0) {
        req.content_type_class = http::request::ctclass::app_x_www_urlencoded;
    }
    _state = state::done;
}

size_t http_request_parser::parse(const char* p, size_t n) {
    if (!_req) {
        init();
    }
    size_t i = 0;
    auto line_byte = [this](size_t count) {
        _line_bytes += count;
        if (_line_bytes > _limits.max_request_line) {
            fail(status_type::uri_too_long, "request line too long");
            return false;
        }
        return true;
    };
    auto header_byte = [this](size_t count) {
        _header_bytes += count;
        if (_header_bytes > _limits.max_header_bytes) {
            fail(status_type::request_header_fields_too_large, "header block too large");
            return false;
        }
        return true;
    };
    while (i < n && _state != state::done && _state != state::error && _state != state::eof) {
        char c = p[i];
        switch (_state) {
        case state::start:
            if (c == '\r' || c == '\n') {
                if (++_blank_lines > max_blank_lines) {
                    _started = true;
                    fail(status_type::bad_request, "too many empty lines before the request");
                    break;
                }
                ++i;
                break;
            }
            _started = true;
            _state = state::method;
            break;
        case state::method:
            if (is_tchar(c)) {
                if (_method.size() >= max_method) {
                    fail(status_type::not_implemented, "method too long");
                    break;
                }
                _method += c;
            } else if (c == ' ' && !_method.empty()) {
                _state = state::target;
            } else {
                fail(status_type::bad_request, "malformed method");
                break;
            }
            ++i;
            line_byte(1);
            break;
        case state::target: {
            size_t j = i;
            while (j < n && is_target(p[j])) {
                ++j;
            }
            if (j > i) {
                if (!line_byte(j - i)) {
                    break;
                }
                _target.append(p + i, j - i);
                i = j;
                break;
            }
            if (c == ' ' && !_target.empty()) {
                _state = state::version;
                ++i;
                line_byte(1);
            } else {
                fail(status_type::bad_request, "malformed request target");
            }
            break;
        }
        case state::version:
            if (c == '\r') {
                _state = state::request_line_lf;
            } else if (c == '\n') {
                _state = state::header_start;
            } else if (is_target(c) && _version.size() < max_version) {
                _version += c;
                line_byte(1);
            } else {
                fail(status_type::bad_request, "malformed HTTP version");
                break;
            }
            ++i;
            break;
        case state::request_line_lf:
            if (c != '\n') {
                fail(status_type::bad_request, "CR without LF in the request line");
                break;
            }
            _state = state::header_start;
            ++i;
            break;
        case state::header_start:
            if (!header_byte(1)) {
                break;
            }
            if (c == '\r') {
                _state = state::end_lf;
            } else if (c == '\n') {
                ++i;
                finish();
                break;
            } else if (is_tchar(c)) {
                _name += c;
                _state = state::name;
            } else if (c == ' ' || c == '\t') {
                fail(status_type::bad_request, "folded header line");
                break;
            } else {
                fail(status_type::bad_request, "malformed header name");
                break;
            }
            ++i;
            break;
        case state::name: {
            size_t j = i;
            while (j < n && is_tchar(p[j])) {
                ++j;
            }
            if (j > i) {
                if (!header_byte(j - i)) {
                    break;
                }
                _name.append(p + i, j - i);
                i = j;
                break;
            }
            if (!header_byte(1)) {
                break;
            }
            if (c == ':') {
                _state = state::value_start;
                ++i;
            } else {
                fail(status_type::bad_request, "malformed header name");
            }
            break;
        }
        case state::value_start:
        case state::value: {
            size_t j = i;
            while (j < n && is_vchar(p[j])) {
                ++j;
            }
            if (j > i) {
                if (!header_byte(j - i)) {
                    break;
                }
                _value.append(p + i, j - i);
                _state = state::value;
                i = j;
                break;
            }
            if (!header_byte(1)) {
                break;
            }
            if (c == '\r') {
                _state = state::value_lf;
                ++i;
            } else if (c == '\n') {
                ++i;
                if (add_header()) {
                    _state = state::header_start;
                }
            } else {
                fail(status_type::bad_request, "invalid byte in a header value");
            }
            break;
        }
        case state::value_lf:
            if (!header_byte(1)) {
                break;
            }
            if (c != '\n') {
                fail(status_type::bad_request, "CR without LF in a header");
                break;
            }
            ++i;
            if (add_header()) {
                _state = state::header_start;
            }
            break;
        case state::end_lf:
            if (!header_byte(1)) {
                break;
            }
            if (c != '\n') {
                fail(status_type::bad_request, "CR without LF after the header block");
                break;
            }
            ++i;
            finish();
            break;
        case state::done:
        case state::error:
        case state::eof:
            break;
        }
    }
    if (_state == state::done) {
        _remainder = n - i;
    }
    return i;
}

future<consumption_result<char>> http_request_parser::operator()(temporary_buffer<char> buf) {
    if (buf.empty()) {
        parse_eof();
        return make_ready_future<consumption_result<char>>(stop_consuming<char>({}));
    }
    size_t used = parse(buf.get(), buf.size());
    if (_state == state::done || _state == state::error) {
        buf.trim_front(used);
        return make_ready_future<consumption_result<char>>(stop_consuming<char>(std::move(buf)));
    }
    return make_ready_future<consumption_result<char>>(continue_consuming{});
}

} // namespace seastar
