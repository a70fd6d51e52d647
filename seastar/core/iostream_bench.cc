// Throughput of the stream layer itself, with trivial sources and sinks:
//   * output_stream batching 16-byte writes into a counting sink;
//   * input_stream::read_exactly of 16-byte records from 4 KiB buffers.
// Reports bytes/s (and, for writes, how many puts reached the sink).
#include <benchmark/benchmark.h>

#include <cstring>

#include "seastar/core/iostream.hh"
#include "seastar/core/local_scheduler.hh"

namespace {

using seastar::future;
using seastar::temporary_buffer;

class counting_sink final : public seastar::data_sink_impl {
    size_t& _puts;
    size_t& _bytes;

public:
    counting_sink(size_t& puts, size_t& bytes) : _puts(puts), _bytes(bytes) {}
    future<> put(seastar::net::packet p) override {
        ++_puts;
        _bytes += p.len();
        return seastar::make_ready_future<>();
    }
    future<> put(temporary_buffer<char> b) override {
        ++_puts;
        _bytes += b.size();
        benchmark::DoNotOptimize(b.get());
        return seastar::make_ready_future<>();
    }
    future<> close() override { return seastar::make_ready_future<>(); }
};

void BM_output_stream_16b_writes(benchmark::State& state) {
    seastar::local_scheduler sched;
    size_t puts = 0;
    size_t bytes = 0;
    const size_t size = state.range(0);
    seastar::output_stream<char> out(seastar::data_sink(std::make_unique<counting_sink>(puts, bytes)), size);
    char rec[16];
    std::memset(rec, 'r', sizeof(rec));
    for (auto _ : state) {
        auto f = out.write(rec, sizeof(rec));
        // A ready future in the common case; the rare put is ready too.
        f.get();
    }
    sched.wait(out.close());
    state.SetBytesProcessed(int64_t(state.iterations()) * 16);
    state.counters["puts_per_MiB"] = bytes ? double(puts) * (1 << 20) / double(bytes) : 0;
}
BENCHMARK(BM_output_stream_16b_writes)->Arg(4096)->Arg(65536);

// Hands out the same 4 KiB of bytes (shared, no copy) `limit` times, then EOF.
class repeat_source final : public seastar::data_source_impl {
    temporary_buffer<char> _block;

public:
    explicit repeat_source(size_t block) : _block(block) { std::memset(_block.get_write(), 'x', block); }
    future<temporary_buffer<char>> get() override {
        return seastar::make_ready_future<temporary_buffer<char>>(_block.share());
    }
};

void BM_input_stream_read_exactly_16b(benchmark::State& state) {
    seastar::local_scheduler sched;
    seastar::input_stream<char> in(seastar::data_source(std::make_unique<repeat_source>(state.range(0))));
    for (auto _ : state) {
        auto b = in.read_exactly(16).get();
        benchmark::DoNotOptimize(b.get());
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * 16);
}
BENCHMARK(BM_input_stream_read_exactly_16b)->Arg(4096)->Arg(4095);

// Reference point: memcpy of 16 bytes into a 4 KiB buffer, flushed when full.
void BM_memcpy_16b_reference(benchmark::State& state) {
    std::vector<char> buf(4096);
    size_t end = 0;
    char rec[16];
    std::memset(rec, 'r', sizeof(rec));
    for (auto _ : state) {
        if (end + 16 > buf.size()) {
            benchmark::DoNotOptimize(buf.data());
            end = 0;
        }
        std::memcpy(buf.data() + end, rec, 16);
        end += 16;
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(int64_t(state.iterations()) * 16);
}
BENCHMARK(BM_memcpy_16b_reference);

} // namespace

BENCHMARK_MAIN();
