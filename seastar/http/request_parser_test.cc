// The request-head parser: well-formed requests split at every byte,
// pipelined requests, and the bad inputs it must refuse (with the status the
// server answers them with).
#include "seastar/http/request_parser.hh"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace seastar;
using status = http::reply::status_type;

namespace {

struct outcome {
    http_request_parser::state state;
    size_t used = 0;
    std::unique_ptr<http::request> req;
    status error = status::ok;
    bool chunked = false;
};

// Feeds `input` in pieces of `step` bytes (0: all at once) until the head ends.
outcome parse(std::string_view input, size_t step = 0, http_parser_limits limits = {}) {
    http_request_parser p(limits);
    p.init();
    outcome o;
    size_t pos = 0;
    while (pos < input.size()) {
        size_t len = step ? std::min(step, input.size() - pos) : input.size() - pos;
        size_t used = p.parse(input.data() + pos, len);
        EXPECT_LE(used, len);
        pos += used;
        if (p.done() || p.failed()) {
            break;
        }
        EXPECT_EQ(used, len);
    }
    if (!p.done() && !p.failed()) {
        p.parse_eof();
    }
    o.used = pos;
    if (p.done()) {
        o.state = http_request_parser::state::done;
        o.req = p.get_parsed_request();
        o.chunked = p.chunked();
    } else if (p.failed()) {
        o.state = http_request_parser::state::error;
        o.error = p.error_status();
    } else {
        o.state = http_request_parser::state::eof;
    }
    return o;
}

status error_of(std::string_view input, http_parser_limits limits = {}) {
    auto o = parse(input, 0, limits);
    EXPECT_EQ(o.state, http_request_parser::state::error) << input;
    return o.error;
}

} // namespace

TEST(request_parser, simple_get_split_everywhere) {
    std::string in = "GET /a/b?x=1&y=%20z HTTP/1.1\r\nHost: example.org\r\nUser-Agent:  curl/7.88 \r\n"
                     "accept: */*\r\n\r\n";
    for (size_t step : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(7), size_t(64)}) {
        auto o = parse(in, step);
        ASSERT_EQ(o.state, http_request_parser::state::done) << step;
        EXPECT_EQ(o.used, in.size());
        EXPECT_EQ(o.req->_method, "GET");
        EXPECT_EQ(o.req->_url, "/a/b?x=1&y=%20z");
        EXPECT_EQ(o.req->_version, "1.1");
        EXPECT_EQ(o.req->get_header("host"), "example.org");
        EXPECT_EQ(o.req->get_header("USER-AGENT"), "curl/7.88");
        EXPECT_EQ(o.req->get_header("Accept"), "*/*");
        EXPECT_EQ(o.req->parse_query_param(), "/a/b");
        EXPECT_EQ(o.req->get_query_param("x"), "1");
        EXPECT_EQ(o.req->get_query_param("y"), " z");
        EXPECT_TRUE(o.req->should_keep_alive());
    }
}

TEST(request_parser, stops_at_end_of_head_leaving_body_and_next_request) {
    std::string head = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";
    std::string in = head + "helloGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    http_request_parser p;
    p.init();
    auto used = p.parse(in.data(), in.size());
    ASSERT_TRUE(p.done());
    EXPECT_EQ(used, head.size());
    EXPECT_EQ(p.remainder(), in.size() - head.size());
    auto req = p.get_parsed_request();
    EXPECT_EQ(req->content_length, 5u);
    p.init();
    auto rest = std::string_view(in).substr(head.size() + 5);
    EXPECT_EQ(p.parse(rest.data(), rest.size()), rest.size());
    ASSERT_TRUE(p.done());
    EXPECT_EQ(p.get_parsed_request()->_method, "GET");
}

TEST(request_parser, http10_bare_lf_leading_blank_lines_and_absolute_form) {
    auto o = parse("\r\n\r\nGET / HTTP/1.0\nConnection: keep-alive\n\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_EQ(o.req->_version, "1.0");
    EXPECT_TRUE(o.req->should_keep_alive());
    o = parse("GET / HTTP/1.0\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_FALSE(o.req->should_keep_alive());
    o = parse("GET http://example.org:8080/x?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_EQ(o.req->_url, "/x?q=1");
    EXPECT_EQ(o.req->get_header("Host"), "example.org:8080");
    o = parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_EQ(o.req->_url, "*");
    o = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_FALSE(o.req->should_keep_alive());
}

TEST(request_parser, repeated_fields_combine_and_content_length_rules) {
    auto o = parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nx-a: 2\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_EQ(o.req->get_header("X-A"), "1, 2");
    o = parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_EQ(o.req->content_length, 3u);
    o = parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_TRUE(o.chunked);
    o = parse("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_TRUE(o.req->expects_continue());
    o = parse("GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n");
    ASSERT_EQ(o.state, http_request_parser::state::done);
    EXPECT_EQ(o.req->get_header("X-Empty"), "");
}

TEST(request_parser, closed_before_and_inside_a_request) {
    EXPECT_EQ(parse("").state, http_request_parser::state::eof);
    EXPECT_EQ(parse("\r\n").state, http_request_parser::state::eof);
    auto o = parse("GET / HTTP/1.1\r\nHost: h\r\n");
    EXPECT_EQ(o.state, http_request_parser::state::error);
    EXPECT_EQ(o.error, status::bad_request);
}

TEST(request_parser, malformed_request_lines) {
    for (std::string_view in : {
             " GET / HTTP/1.1\r\n\r\n",
             "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
             "GET /\r\nHost: h\r\n\r\n",
             "GET / HTTX/1.1\r\nHost: h\r\n\r\n",
             "GET / HTTP/1.10\r\nHost: h\r\n\r\n",
             "GET / HTTP/1.1\rX\n\r\n",
             "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET a HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET *\x01 HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET http:/// HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET * HTTP/1.1\r\nHost: h\r\n\r\n",
             "GET / HTTP/1.1\r\n\r\n",
         }) {
        EXPECT_EQ(error_of(in), status::bad_request) << in;
    }
    EXPECT_EQ(error_of("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), status::http_version_not_supported);
    EXPECT_EQ(error_of("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), status::http_version_not_supported);
    EXPECT_EQ(error_of(std::string(40, 'G') + " / HTTP/1.1\r\n\r\n"), status::not_implemented);
    EXPECT_EQ(error_of(std::string(20, '\n') + "GET / HTTP/1.1\r\n\r\n"), status::bad_request);
}

TEST(request_parser, header_injection_and_malformed_fields) {
    for (std::string_view in : {
             "GET / HTTP/1.1\r\nHost: h\r\nX: a\rInjected: 1\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\nX : a\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\nX\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n",
             "GET / HTTP/1.1\r\nHost: h\r\n\rX",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n",
             "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
             "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
         }) {
        EXPECT_EQ(error_of(std::string(in)), status::bad_request) << in;
    }
    EXPECT_EQ(error_of("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
              status::not_implemented);
}

TEST(request_parser, limits) {
    http_parser_limits l;
    l.max_request_line = 64;
    l.max_header_bytes = 128;
    l.max_headers = 4;
    auto ok = parse("GET /" + std::string(40, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", 0, l);
    EXPECT_EQ(ok.state, http_request_parser::state::done);
    EXPECT_EQ(error_of("GET /" + std::string(100, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", l), status::uri_too_long);
    EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(200, 'v') + "\r\n\r\n", l),
              status::request_header_fields_too_large);
    EXPECT_EQ(error_of("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", l),
              status::request_header_fields_too_large);
    // An endless header is refused once it passes the limit, not buffered.
    http_request_parser p(l);
    p.init();
    std::string head = "GET / HTTP/1.1\r\nX: ";
    p.parse(head.data(), head.size());
    std::string chunk(16, 'v');
    size_t fed = 0;
    while (!p.failed() && fed < 4096) {
        p.parse(chunk.data(), chunk.size());
        fed += chunk.size();
    }
    EXPECT_TRUE(p.failed());
    EXPECT_LE(fed, 256u);
}
