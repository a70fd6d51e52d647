// The stack registry as app_template uses it: stacks registered by a
// program appear in --network-stack with their options; the chosen one is
// configured before the shards start, started on every shard before the
// program's function and stopped on every shard after it; providers of one
// name are asked by priority; unknown names and refused options stop the
// program with one message.
#include "seastar/core/network_stack_registry.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "seastar/core/app-template.hh"
#include "seastar/core/smp.hh"

namespace seastar {
namespace {

namespace bpo = boost::program_options;

std::atomic<int> configured_low{0}, configured_high{0}, started{0}, stopped{0};
std::atomic<bool> started_before_main{false};

std::shared_ptr<bpo::options_description> opts(const char* name) {
    auto d = std::make_shared<bpo::options_description>("test stack");
    d->add_options()(name, bpo::value<std::string>()->default_value("x"), "a test stack's option");
    return d;
}

const network_stack_registrator low({
    .name = "teststack",
    .options = opts("teststack-option"),
    .configure =
        [](const bpo::variables_map& vm) {
            configured_low++;
            if (vm["teststack-option"].as<std::string>() == "bad") {
                throw std::invalid_argument("--teststack-option: bad");
            }
            return true;
        },
    .start =
        [] {
            started++;
            return make_ready_future<>();
        },
    .stop = [] { stopped++; },
    .priority = 0,
});

// Asked first; takes the options only when --teststack-high is set.
const network_stack_registrator high({
    .name = "teststack",
    .options = opts("teststack-high"),
    .configure =
        [](const bpo::variables_map& vm) {
            if (vm["teststack-high"].as<std::string>() != "yes") {
                return false;
            }
            configured_high++;
            return true;
        },
    .start = {},
    .stop = {},
    .priority = 5,
});

int run(std::vector<std::string> a) {
    a.insert(a.begin(), "network_stack_registry_test");
    std::vector<char*> argv;
    for (auto& s : a) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    app_template app;
    return app.run(int(a.size()), argv.data(), [] {
        started_before_main = started.load() == int(smp::count);
        return make_ready_future<int>(0);
    });
}

void reset() {
    configured_low = configured_high = started = stopped = 0;
    started_before_main = false;
}

TEST(network_stack_registry, lists_what_registered) {
    auto names = network_stack_registry::list();
    EXPECT_EQ(names, std::vector<std::string>{"teststack"});
}

TEST(network_stack_registry, posix_without_registration_is_the_default) {
    reset();
    EXPECT_EQ(run({"--smp", "1"}), 0);
    EXPECT_EQ(configured_low + configured_high, 0);
}

TEST(network_stack_registry, the_chosen_stack_starts_and_stops_on_every_shard) {
    reset();
    EXPECT_EQ(run({"--smp", "2", "--network-stack", "teststack", "--teststack-option", "y"}), 0);
    EXPECT_EQ(configured_low, 1);
    EXPECT_EQ(configured_high, 0);
    EXPECT_TRUE(started_before_main);
    EXPECT_EQ(started, 2);
    EXPECT_EQ(stopped, 2);
}

TEST(network_stack_registry, higher_priority_provider_is_asked_first) {
    reset();
    EXPECT_EQ(run({"--smp", "1", "--network-stack", "teststack", "--teststack-high", "yes"}), 0);
    EXPECT_EQ(configured_high, 1);
    EXPECT_EQ(configured_low, 0);
    EXPECT_EQ(started, 0);
}

TEST(network_stack_registry, unknown_stack_and_bad_options_fail_with_a_message) {
    reset();
    testing::internal::CaptureStderr();
    EXPECT_EQ(run({"--smp", "1", "--network-stack", "nosuch"}), 1);
    auto err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("unknown network stack 'nosuch' (available: posix, teststack)"), std::string::npos) << err;
    testing::internal::CaptureStderr();
    EXPECT_EQ(run({"--smp", "1", "--network-stack", "teststack", "--teststack-option", "bad"}), 1);
    err = testing::internal::GetCapturedStderr();
    EXPECT_NE(err.find("--teststack-option: bad"), std::string::npos) << err;
    EXPECT_EQ(started, 0);
}

} // namespace
} // namespace seastar
