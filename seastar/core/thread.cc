// seastar::thread: stacks, context switches and the scheduling of threads.
//
// Context switching: the first switch into a thread uses makecontext() and
// setcontext() (the portable way to start running on a new stack); every later
// switch uses _setjmp()/_longjmp(), which, unlike swapcontext(), does not save
// and restore the signal mask with a system call. Each context (a thread, or the
// scheduler's own stack) is a `switch_context`; switching into one records the
// context that was running as its `link`, and switching out returns to that
// link. That makes nesting work: a thread created inside another thread starts
// on top of it and returns to it when it first waits.
//
// Sanitizers: before each jump, AddressSanitizer is told which stack comes next
// (__sanitizer_start_switch_fiber) and, after it, where we came from
// (__sanitizer_finish_switch_fiber); ThreadSanitizer gets one fiber per thread
// (__tsan_create_fiber) and a __tsan_switch_to_fiber before each jump.
#include "seastar/core/thread.hh"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <system_error>

#include "seastar/core/task.hh"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEASTAR_THREAD_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define SEASTAR_THREAD_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(SEASTAR_THREAD_ASAN)
#define SEASTAR_THREAD_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(SEASTAR_THREAD_TSAN)
#define SEASTAR_THREAD_TSAN 1
#endif

#ifdef SEASTAR_THREAD_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#ifdef SEASTAR_THREAD_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace seastar {
namespace internal {

namespace {

// One stack of execution that can be switched to: a thread's, or the stack the
// scheduler runs on (one per OS thread, `unthreaded_context`).
struct switch_context {
    jmp_buf jmpbuf;
    switch_context* link = nullptr;   // where switch_out() returns to
    thread_context* thread = nullptr; // nullptr for the scheduler's stack
    unsigned inline_depth = 0;        // this stack's nesting of inline continuations
#ifdef SEASTAR_THREAD_ASAN
    const void* stack_bottom = nullptr;
    std::size_t stack_size = 0;
    void* fake_stack = nullptr;
#endif
#ifdef SEASTAR_THREAD_TSAN
    void* fiber = nullptr;
#endif
};

thread_local switch_context unthreaded_context;
thread_local switch_context* current_context = nullptr;

switch_context* current() noexcept {
    if (!current_context) {
        current_context = &unthreaded_context;
    }
    return current_context;
}

// Sanitizer announcements around a jump from `from` to `to`. Always inlined:
// under tsan, a function that switches fibers must not return on the new one.
[[gnu::always_inline]] inline void before_switch(switch_context* from, switch_context* to, bool from_dies) noexcept {
#ifdef SEASTAR_THREAD_ASAN
    __sanitizer_start_switch_fiber(from_dies ? nullptr : &from->fake_stack, to->stack_bottom, to->stack_size);
#endif
#ifdef SEASTAR_THREAD_TSAN
    if (!from->fiber) {
        from->fiber = __tsan_get_current_fiber();
    }
    __tsan_switch_to_fiber(to->fiber, 0);
#endif
    (void)from;
    (void)to;
    (void)from_dies;
}

// Runs on `self` right after a jump into it.
[[gnu::always_inline]] inline void after_switch(switch_context* self, switch_context* came_from) noexcept {
#ifdef SEASTAR_THREAD_ASAN
    const void* bottom = nullptr;
    std::size_t size = 0;
    __sanitizer_finish_switch_fiber(self->fake_stack, &bottom, &size);
    // Learn the bounds of stacks we did not allocate (the scheduler's).
    if (came_from && !came_from->thread) {
        came_from->stack_bottom = bottom;
        came_from->stack_size = size;
    }
#endif
    (void)self;
    (void)came_from;
}

// Moves the scheduler hooks that belong to a stack along with it.
inline void swap_hooks_out(switch_context* from, switch_context* to);

} // namespace

class thread_context final : public task, public stackful_context {
    struct stack_deleter {
        std::size_t size;
        void operator()(char* p) const noexcept { ::munmap(p, size); }
    };

    std::unique_ptr<char, stack_deleter> _mapping; // guard page + stack
    std::size_t _stack_size;
    noncopyable_function<void()> _func;
    switch_context _context;
    promise<> _done;
    bool _joined = false;
    bool _finished = false;

    static void s_main(int lo, int hi) noexcept;
    [[noreturn]] void main() noexcept;

public:
    thread_context(thread_attributes attr, noncopyable_function<void()> func);
    ~thread_context();

    // Runs the thread until it next waits or finishes.
    void switch_in() noexcept;
    // Returns to the context that switched this thread in.
    void switch_out() noexcept;
    void yield() noexcept;

    void run_and_dispose() noexcept override { switch_in(); }
    task* resume_task() noexcept override { return this; }
    void suspend() noexcept override { switch_out(); }

    future<> join() noexcept;
    bool joined() const noexcept { return _joined; }

    static thread_context* current_thread() noexcept { return current()->thread; }

private:
    void start();
};

namespace {

inline void swap_hooks_out(switch_context* from, switch_context* to) {
    from->inline_depth = hooks.inline_depth;
    hooks.inline_depth = to->inline_depth;
    set_current_stackful_context(to->thread);
}

std::size_t page_size() noexcept {
    static const std::size_t size = std::size_t(::sysconf(_SC_PAGESIZE));
    return size;
}

} // namespace

thread_context::thread_context(thread_attributes attr, noncopyable_function<void()> func)
    : task(attr.sched_group.value_or(current_scheduling_group())), _func(std::move(func)) {
    const std::size_t page = page_size();
    _stack_size = (std::max<std::size_t>(attr.stack_size, page) + page - 1) / page * page;
    const std::size_t total = _stack_size + page;
    void* p = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) {
        if (errno == ENOMEM) {
            throw std::bad_alloc();
        }
        throw std::system_error(errno, std::system_category(), "seastar::thread: mmap of the stack");
    }
    _mapping = std::unique_ptr<char, stack_deleter>(static_cast<char*>(p), stack_deleter{total});
    // The guard page sits at the low end: stacks grow down into it.
    if (::mprotect(p, page, PROT_NONE) != 0) {
        throw std::system_error(errno, std::system_category(), "seastar::thread: mprotect of the guard page");
    }
    _context.thread = this;
#ifdef SEASTAR_THREAD_ASAN
    _context.stack_bottom = _mapping.get() + page;
    _context.stack_size = _stack_size;
#endif
#ifdef SEASTAR_THREAD_TSAN
    _context.fiber = __tsan_create_fiber(0);
#endif
    start();
}

thread_context::~thread_context() {
    assert(_finished);
#ifdef SEASTAR_THREAD_TSAN
    __tsan_destroy_fiber(_context.fiber);
#endif
}

void thread_context::start() {
    ucontext_t initial;
    if (::getcontext(&initial) != 0) {
        throw std::system_error(errno, std::system_category(), "seastar::thread: getcontext");
    }
    initial.uc_stack.ss_sp = _mapping.get() + page_size();
    initial.uc_stack.ss_size = _stack_size;
    initial.uc_link = nullptr;
    // makecontext() passes int arguments only: split the pointer.
    auto q = std::uint64_t(reinterpret_cast<std::uintptr_t>(this));
    ::makecontext(&initial, reinterpret_cast<void (*)()>(&thread_context::s_main), 2, int(std::uint32_t(q)),
                  int(std::uint32_t(q >> 32)));
    switch_context* from = current();
    _context.link = from;
    swap_hooks_out(from, &_context);
    current_context = &_context;
    if (_setjmp(from->jmpbuf) == 0) {
        before_switch(from, &_context, false);
        ::setcontext(&initial);
        std::abort(); // setcontext() returns only on failure
    }
    after_switch(from, nullptr);
}

void thread_context::s_main(int lo, int hi) noexcept {
    auto q = std::uint64_t(std::uint32_t(lo)) | (std::uint64_t(std::uint32_t(hi)) << 32);
    reinterpret_cast<thread_context*>(std::uintptr_t(q))->main();
}

void thread_context::main() noexcept {
    after_switch(&_context, _context.link);
    // Run in the thread's group: if the creator runs in another one, start
    // later, as a task of ours.
    if (group() != current_scheduling_group()) {
        yield();
    }
    try {
        _func();
        _func = nullptr; // the body's captures die on its own stack
        _done.set_value();
    } catch (...) {
        _func = nullptr;
        _done.set_to_current_exception();
    }
    _finished = true;
    switch_context* to = _context.link;
    swap_hooks_out(&_context, to);
    current_context = to;
    before_switch(&_context, to, true);
    _longjmp(to->jmpbuf, 1);
}

void thread_context::switch_in() noexcept {
    switch_context* from = current();
    _context.link = from;
    swap_hooks_out(from, &_context);
    current_context = &_context;
    if (_setjmp(from->jmpbuf) == 0) {
        before_switch(from, &_context, false);
        _longjmp(_context.jmpbuf, 1);
    }
    after_switch(from, nullptr);
}

void thread_context::switch_out() noexcept {
    switch_context* to = _context.link;
    swap_hooks_out(&_context, to);
    current_context = to;
    if (_setjmp(_context.jmpbuf) == 0) {
        before_switch(&_context, to, false);
        _longjmp(to->jmpbuf, 1);
    }
    after_switch(&_context, _context.link);
}

void thread_context::yield() noexcept {
    schedule(this);
    switch_out();
}

future<> thread_context::join() noexcept {
    _joined = true;
    return _done.get_future();
}

void thread_context_deleter::operator()(thread_context* c) const noexcept {
    delete c;
}

} // namespace internal

thread::thread() noexcept = default;

void thread::start(thread_attributes attr, noncopyable_function<void()> func) {
    _context.reset(new internal::thread_context(std::move(attr), std::move(func)));
}

thread::thread(thread&& x) noexcept = default;

thread& thread::operator=(thread&& x) noexcept {
    if (this != &x) {
        if (_context && !_context->joined()) {
            std::fputs("seastar::thread: a thread was overwritten before it was joined\n", stderr);
            std::abort();
        }
        _context = std::move(x._context);
    }
    return *this;
}

thread::~thread() {
    if (_context && !_context->joined()) {
        std::fputs("seastar::thread: a thread was destroyed before it was joined\n", stderr);
        std::abort();
    }
}

future<> thread::join() {
    assert(_context && "join() on an empty thread, or called twice");
    auto f = _context->join();
    // The stack goes away once the body has finished and switched out.
    return f.finally([ctx = std::move(_context)] {});
}

void thread::yield() {
    auto t = internal::thread_context::current_thread();
    assert(t && "thread::yield() outside a seastar::thread");
    t->yield();
}

bool thread::should_yield() noexcept {
    return need_preempt();
}

void thread::maybe_yield() {
    if (should_yield()) {
        yield();
    }
}

bool thread::running_in_thread() noexcept {
    return internal::thread_context::current_thread() != nullptr;
}

} // namespace seastar
