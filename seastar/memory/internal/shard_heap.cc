#include "seastar/memory/internal/shard_heap.hh"

#include <cstdlib>
#include <new>

namespace seastar::memory::internal {

namespace {

unsigned floor_log2(size_t n) noexcept {
    return 63u - unsigned(__builtin_clzll(n));
}

unsigned ceil_log2(size_t n) noexcept {
    return n <= 1 ? 0 : 64u - unsigned(__builtin_clzll(n - 1));
}

unsigned bucket_of(size_t npages) noexcept {
    return floor_log2(npages);
}

size_t header_pages_for(size_t total_pages) noexcept {
    size_t bytes = sizeof(shard_heap) + total_pages * sizeof(page_desc) + (total_pages + 63) / 64 * 8;
    return (bytes + shard_heap::page - 1) >> shard_heap::page_shift;
}

// A pressure relief loop that keeps hearing "reclaimed something" stops after this many
// rounds, so a reclaimer that lies cannot hang the allocation.
constexpr unsigned max_pressure_rounds = 64;

} // namespace

size_t shard_heap::region_bytes_for(size_t limit_bytes) noexcept {
    size_t limit_pages = limit_bytes >> page_shift;
    size_t total = limit_pages;
    for (;;) {
        size_t h = header_pages_for(total);
        if (total - h >= limit_pages && total >= h) {
            return total << page_shift;
        }
        total = limit_pages + h;
    }
}

shard_heap::shard_heap(size_t region_bytes, size_t header_pages, size_t limit_pages) noexcept
    : _dirty(reinterpret_cast<uint64_t*>(descs() + (region_bytes >> page_shift))), _region_bytes(region_bytes),
      _first_page(header_pages), _end_page(region_bytes >> page_shift), _limit_pages(limit_pages) {
    for (unsigned c = 0; c < nr_size_classes; ++c) {
        _classes[c] = class_state{&_sentinel, nullptr, 0, 0, max_empty_spans};
    }
    // The page before the data is a boundary: never merged with.
    page_desc* guard = desc(_first_page - 1);
    *guard = page_desc{};
    guard->kind = kind_reserved;
    if (_end_page > _first_page) {
        // Fresh from mmap: nothing is resident, and the dirty bitmap is already zero (not
        // cleared here: that would make a 64 GiB reservation touch 2 MiB of it at once).
        insert_free(_first_page, _end_page - _first_page);
    }
    set_default_thresholds();
}

void shard_heap::set_default_thresholds() noexcept {
    // A sixteenth of the limit, at most 64 MiB, for the cache; the same share, between 4 and
    // 64 MiB, of free memory kept resident before giving any back.
    constexpr size_t mib_pages = (size_t(1) << 20) >> page_shift;
    size_t share = _limit_pages / 16;
    _cache_limit = share < 64 * mib_pages ? share : 64 * mib_pages;
    _retain_pages = share < 4 * mib_pages ? 4 * mib_pages : (share > 64 * mib_pages ? 64 * mib_pages : share);
    _next_sweep_pages = (_free_dirty_pages > _retain_pages ? _free_dirty_pages : _retain_pages) + _retain_pages / 2;
    if (!_inject_armed) {
        _cache_cap = _cache_limit;
    }
    if (_cache_pages + hot_pages() > _cache_cap) {
        flush_cache();
    }
    // Empty spans kept per class: up to empty_span_bytes, never more than 1/128 of the limit,
    // never fewer than max_empty_spans. Spans already kept above a lowered bound go back as
    // the next span of their class empties.
    size_t keep_bytes = (_limit_pages << page_shift) / 128;
    keep_bytes = keep_bytes < empty_span_bytes ? keep_bytes : empty_span_bytes;
    for (unsigned c = 0; c < nr_size_classes; ++c) {
        size_t n = keep_bytes / (size_t(class_pages[c]) << page_shift);
        _classes[c].max_empty = n > max_empty_spans ? n : max_empty_spans;
    }
}

void shard_heap::set_cache_limit(size_t bytes) noexcept {
    _cache_limit = bytes >> page_shift;
    if (!_inject_armed) {
        _cache_cap = _cache_limit;
    }
    if (_cache_pages + hot_pages() > _cache_cap) {
        flush_cache();
    }
}

void shard_heap::set_retain_bytes(size_t bytes) noexcept {
    _retain_pages = bytes >> page_shift;
    _next_sweep_pages = (_free_dirty_pages > _retain_pages ? _free_dirty_pages : _retain_pages) + _retain_pages / 2;
}

shard_heap* shard_heap::create(void* region, size_t region_bytes, size_t limit_bytes) noexcept {
    size_t total_pages = region_bytes >> page_shift;
    size_t header = header_pages_for(total_pages);
    if (header >= total_pages) {
        return nullptr;
    }
    size_t limit_pages = limit_bytes >> page_shift;
    if (limit_pages > total_pages - header) {
        limit_pages = total_pages - header;
    }
    return new (region) shard_heap(total_pages << page_shift, header, limit_pages);
}

// ---- free-span lists -------------------------------------------------------------------

void shard_heap::list_push(page_desc*& head, page_desc* d) noexcept {
    d->prev = nullptr;
    d->next = head;
    if (head) {
        head->prev = d;
    }
    head = d;
}

void shard_heap::list_remove(page_desc*& head, page_desc* d) noexcept {
    if (d->prev) {
        d->prev->next = d->next;
    } else {
        head = d->next;
    }
    if (d->next) {
        d->next->prev = d->prev;
    }
}

void shard_heap::insert_free(size_t start, size_t npages) noexcept {
    page_desc* d = desc(start);
    d->kind = kind_free;
    d->npages = uint32_t(npages);
    d->head_offset = 0;
    page_desc* t = desc(start + npages - 1);
    t->kind = kind_free;
    t->head_offset = uint32_t(npages - 1);
    unsigned b = bucket_of(npages);
    list_push(_buckets[b], d);
    _nonempty |= uint64_t(1) << b;
}

void shard_heap::unlink_free(page_desc* d) noexcept {
    unsigned b = bucket_of(d->npages);
    list_remove(_buckets[b], d);
    if (!_buckets[b]) {
        _nonempty &= ~(uint64_t(1) << b);
    }
}

void shard_heap::mark_used(size_t start, size_t npages, uint8_t kind) noexcept {
    page_desc* d = desc(start);
    d->kind = kind;
    d->npages = uint32_t(npages);
    d->head_offset = 0;
    page_desc* t = desc(start + npages - 1);
    t->kind = kind;
    t->head_offset = uint32_t(npages - 1);
}

page_desc* shard_heap::find_free_span(size_t npages) noexcept {
    unsigned b = ceil_log2(npages);
    if (b < nr_buckets) {
        uint64_t mask = _nonempty & (~uint64_t(0) << b);
        if (mask) {
            return _buckets[__builtin_ctzll(mask)];
        }
    }
    // Spans in the bucket below may still be long enough: look at each of them, so that an
    // allocation fails only when no free span can hold it.
    unsigned f = floor_log2(npages);
    if (f != b && f < nr_buckets) {
        for (page_desc* d = _buckets[f]; d; d = d->next) {
            if (d->npages >= npages) {
                return d;
            }
        }
    }
    return nullptr;
}

page_desc* shard_heap::alloc_span(size_t npages, size_t align_pages) noexcept {
    for (unsigned round = 0;; ++round) {
        if (_used_pages + npages <= _limit_pages) {
            size_t want = npages + align_pages - 1;
            page_desc* d = find_free_span(want);
            if (d) {
                size_t dstart = index_of(d);
                size_t dn = d->npages;
                // Take the end of the span unless alignment says otherwise: the head then
                // usually stays in its bucket and only its length changes.
                size_t start = dstart + dn - npages;
                if (align_pages > 1) {
                    // Align the address, not the index: the region itself is only page aligned.
                    uintptr_t addr = uintptr_t(address_of(start));
                    addr &= ~((uintptr_t(align_pages) << page_shift) - 1);
                    start = (addr - uintptr_t(this)) >> page_shift;
                }
                size_t head_n = start - dstart;
                size_t tail_n = dstart + dn - (start + npages);
                if (head_n > 0 && bucket_of(head_n) == bucket_of(dn)) {
                    d->npages = uint32_t(head_n);
                    page_desc* t = desc(dstart + head_n - 1);
                    t->kind = kind_free;
                    t->head_offset = uint32_t(head_n - 1);
                } else {
                    unlink_free(d);
                    if (head_n > 0) {
                        insert_free(dstart, head_n);
                    }
                }
                if (tail_n > 0) {
                    insert_free(start + npages, tail_n);
                }
                _free_dirty_pages -= clear_dirty(start, npages);
                _used_pages += npages;
                page_desc* r = desc(start);
                r->kind = kind_large; // the caller sets the final kind
                r->npages = uint32_t(npages);
                return r;
            }
        }
        if (round >= max_pressure_rounds || !relieve_pressure(npages << page_shift)) {
            return nullptr;
        }
    }
}

void shard_heap::free_span(size_t start, size_t npages) noexcept {
    _used_pages -= npages;
    // The pages were handed out, so they may all be resident. A long span freed while the
    // heap already keeps enough resident free memory goes back to the OS now.
    if (_release && npages >= giveback_min_pages && _free_dirty_pages + npages > _retain_pages) {
        _release(address_of(start), npages << page_shift);
        _counters.released_bytes += npages << page_shift;
        ++_counters.releases;
    } else {
        _free_dirty_pages += set_dirty(start, npages);
    }
    size_t end = start + npages;
    if (end < _end_page) {
        page_desc* r = desc(end);
        if (r->kind == kind_free) {
            unlink_free(r);
            npages += r->npages;
        }
    }
    page_desc* t = desc(start - 1); // the guard page exists before the first data page
    page_desc* l = t - t->head_offset;
    if (l->kind == kind_free) {
        size_t ln = l->npages;
        size_t total = ln + npages;
        if (bucket_of(ln) == bucket_of(total)) {
            l->npages = uint32_t(total);
            page_desc* lt = desc(index_of(l) + total - 1);
            lt->kind = kind_free;
            lt->head_offset = uint32_t(total - 1);
        } else {
            unlink_free(l);
            insert_free(index_of(l), total);
        }
    } else {
        insert_free(start, npages);
    }
    if (__builtin_expect(_free_dirty_pages > _next_sweep_pages, 0)) {
        sweep();
    }
}

// ---- giving memory back --------------------------------------------------------------------

namespace {

uint64_t word_mask(size_t from, size_t to) noexcept { // bits [from, to) of one word, to <= 64
    uint64_t hi = to == 64 ? ~uint64_t(0) : (uint64_t(1) << to) - 1;
    return hi & ~((uint64_t(1) << from) - 1);
}

} // namespace

// Sets the bits of [start, start + npages); returns how many were clear.
size_t shard_heap::set_dirty(size_t start, size_t npages) noexcept {
    size_t changed = 0;
    for (size_t i = start, end = start + npages; i < end;) {
        size_t w = i / 64, lo = i % 64, hi = (end - w * 64) < 64 ? end - w * 64 : 64;
        uint64_t m = word_mask(lo, hi);
        changed += size_t(__builtin_popcountll(m & ~_dirty[w]));
        _dirty[w] |= m;
        i = w * 64 + hi;
    }
    return changed;
}

// Clears the bits of [start, start + npages); returns how many were set.
size_t shard_heap::clear_dirty(size_t start, size_t npages) noexcept {
    size_t changed = 0;
    for (size_t i = start, end = start + npages; i < end;) {
        size_t w = i / 64, lo = i % 64, hi = (end - w * 64) < 64 ? end - w * 64 : 64;
        uint64_t m = word_mask(lo, hi);
        changed += size_t(__builtin_popcountll(m & _dirty[w]));
        _dirty[w] &= ~m;
        i = w * 64 + hi;
    }
    return changed;
}

// Gives back the dirty runs of the free range [start, start + npages), one call per run.
void shard_heap::release_range(size_t start, size_t npages) noexcept {
    size_t end = start + npages;
    size_t i = start;
    while (i < end) {
        // Next set bit at or after i.
        size_t w = i / 64;
        uint64_t bits = _dirty[w] & ~((uint64_t(1) << (i % 64)) - 1);
        while (!bits && (w + 1) * 64 < end) {
            bits = _dirty[++w];
        }
        if (!bits) {
            return;
        }
        size_t run = w * 64 + size_t(__builtin_ctzll(bits));
        if (run >= end) {
            return;
        }
        // Next clear bit after it.
        size_t j = run;
        w = j / 64;
        uint64_t clear = ~_dirty[w] & ~((uint64_t(1) << (j % 64)) - 1);
        while (!clear && (w + 1) * 64 < end) {
            clear = ~_dirty[++w];
        }
        size_t run_end = clear ? w * 64 + size_t(__builtin_ctzll(clear)) : end;
        run_end = run_end < end ? run_end : end;
        size_t n = run_end - run;
        _release(address_of(run), n << page_shift);
        clear_dirty(run, n);
        _free_dirty_pages -= n;
        _counters.released_bytes += n << page_shift;
        ++_counters.releases;
        i = run_end;
    }
}

// Runs when the resident free estimate has grown by half the retain threshold since the last
// sweep: releases the longest free spans that may be resident until the estimate is at half
// the threshold, or no span long enough is left. The next sweep waits for another half
// threshold of growth, so the walk is paid for by that many pages freed.
void shard_heap::sweep() noexcept {
    if (_release) {
        size_t target = _retain_pages / 2;
        for (unsigned b = nr_buckets; b-- > bucket_of(sweep_min_pages) && _free_dirty_pages > target;) {
            for (page_desc* d = _buckets[b]; d && _free_dirty_pages > target; d = d->next) {
                if (d->npages >= sweep_min_pages) {
                    release_range(index_of(d), d->npages);
                }
            }
        }
    }
    size_t base = _free_dirty_pages > _retain_pages ? _free_dirty_pages : _retain_pages;
    size_t slack = _retain_pages / 2 > sweep_min_pages ? _retain_pages / 2 : sweep_min_pages;
    _next_sweep_pages = base + slack;
}

size_t shard_heap::release_free_memory() noexcept {
    trim();
    if (!_release) {
        return 0;
    }
    uint64_t before = _counters.released_bytes;
    for (unsigned b = 0; b < nr_buckets; ++b) {
        for (page_desc* d = _buckets[b]; d && _free_dirty_pages; d = d->next) {
            release_range(index_of(d), d->npages);
        }
    }
    set_retain_bytes(_retain_pages << page_shift); // re-arms the sweep mark
    return size_t(_counters.released_bytes - before);
}

// ---- the large-span cache ------------------------------------------------------------------

bool shard_heap::flush_cache() noexcept {
    if (free_object* o = _hot) {
        size_t n = hot_pages();
        _hot = nullptr;
        o->next = _cache[n];
        _cache[n] = o;
        _cache_pages += n;
    }
    if (_cache_pages == 0) {
        return false;
    }
    for (size_t n = 1; n <= cache_max_pages; ++n) {
        while (free_object* o = _cache[n]) {
            _cache[n] = o->next;
            page_desc* d = desc((uintptr_t(o) - uintptr_t(this)) >> page_shift);
            _cache_pages -= n;
            d->kind = kind_reserved;
            free_span(index_of(d), n);
        }
    }
    ++_counters.cache_flushes;
    return true;
}

size_t shard_heap::largest_free_span_bytes() const noexcept {
    // Without the cache, the longest free span is in the highest non-empty bucket.
    size_t best = 0;
    if (_nonempty) {
        unsigned b = 63u - unsigned(__builtin_clzll(_nonempty));
        for (const page_desc* d = _buckets[b]; d; d = d->next) {
            best = d->npages > best ? d->npages : best;
        }
    }
    // A flush would merge every cached span with its free and cached neighbours. Measure
    // those runs in place: each run is walked once, from its first span, when the walk over
    // the cache meets the first cached span of the run.
    const page_desc* base = descs();
    auto head_before = [base](size_t start) {  // the head of the span ending at start - 1
        const page_desc* t = base + start - 1; // the guard page precedes the first data page
        return t - t->head_offset;
    };
    auto mergeable = [](const page_desc* d) { return d->kind == kind_free || d->kind == kind_cached; };
    auto visit = [&](const free_object* o) {
        size_t start = (uintptr_t(o) - uintptr_t(this)) >> page_shift;
        const page_desc* l = head_before(start);
        size_t run = start;
        if (l->kind == kind_cached) {
            return; // not the first cached span of its run
        }
        if (l->kind == kind_free) {
            // Free spans never touch each other: what precedes this one is used or cached.
            if (head_before(size_t(l - base))->kind == kind_cached) {
                return;
            }
            run = size_t(l - base);
        }
        size_t pages = 0;
        for (size_t i = run; i < _end_page && mergeable(base + i); i += base[i].npages) {
            pages += base[i].npages;
        }
        best = pages > best ? pages : best;
    };
    if (_hot) {
        visit(_hot);
    }
    for (size_t n = 1; n <= cache_max_pages && _cache_pages; ++n) {
        for (const free_object* o = _cache[n]; o; o = o->next) {
            visit(o);
        }
    }
    size_t in_use = _used_pages - _cache_pages - hot_pages();
    size_t room = _limit_pages > in_use ? _limit_pages - in_use : 0;
    return (best < room ? best : room) << page_shift;
}

// ---- pressure, limits, injection ---------------------------------------------------------

bool shard_heap::release_empty_spans() noexcept {
    bool any = false;
    for (unsigned c = 0; c < nr_size_classes; ++c) {
        page_desc* d = _classes[c].current;
        if (d != &_sentinel && d->used == 1 + list_length(d->free)) { // only the pin: empty
            park_current(c);
            any = true;
        }
        class_state& cs = _classes[c];
        for (page_desc* e = cs.partial; e && cs.empty > 0;) {
            page_desc* next = e->next;
            if (e->used == 0) {
                list_remove(cs.partial, e);
                --cs.empty;
                release_small_span(e);
                any = true;
            }
            e = next;
        }
    }
    return any;
}

bool shard_heap::relieve_pressure(size_t bytes) noexcept {
    // Cached spans first: merged back, they may form the range this allocation needs.
    if (flush_cache()) {
        return true;
    }
    if (has_remote()) {
        drain_remote();
        return true;
    }
    if (release_empty_spans()) {
        return true;
    }
    if (_hook && !_in_pressure) {
        _in_pressure = true;
        ++_counters.reclaims;
        bool r = _hook(*this, bytes);
        _in_pressure = false;
        return r;
    }
    return false;
}

bool shard_heap::injected_failure() noexcept {
    if (--_fail_countdown == 0) {
        _inject_armed = false;
        _cache_cap = _cache_limit;
        ++_counters.failed;
        return true;
    }
    return false;
}

void shard_heap::fail_nth(uint64_t n) noexcept {
    _fail_countdown = n;
    _inject_armed = n != 0;
    if (_inject_armed) {
        // Every allocation must now reach the slow path, where the count is kept: no current
        // small spans, nothing in the large-span cache and nothing let into it.
        for (unsigned c = 0; c < nr_size_classes; ++c) {
            park_current(c);
        }
        _cache_cap = 0;
        flush_cache();
    } else {
        _cache_cap = _cache_limit;
    }
}

bool shard_heap::set_limit(size_t bytes) noexcept {
    size_t pages = bytes >> page_shift;
    if (pages > _end_page - _first_page) {
        return false;
    }
    _limit_pages = pages;
    set_default_thresholds();
    return true;
}

// ---- small objects -------------------------------------------------------------------------

uint64_t shard_heap::class_allocs(unsigned c) const noexcept {
    return _class_allocs[c] - list_length(_classes[c].current->free);
}

size_t shard_heap::list_length(const free_object* o) noexcept {
    size_t n = 0;
    for (; o; o = o->next) {
        ++n;
    }
    return n;
}

// A new span in the shape of a span that is not current: all its objects on local_free.
page_desc* shard_heap::new_small_span(unsigned c) noexcept {
    size_t npages = class_pages[c];
    page_desc* d = alloc_span(npages, 1);
    if (!d) {
        return nullptr;
    }
    size_t start = index_of(d);
    uint8_t kind = class_size[c] > lifo_min_size ? kind_small_lifo : kind_small;
    for (size_t i = 1; i < npages; ++i) {
        page_desc* p = desc(start + i);
        p->kind = kind;
        p->head_offset = uint32_t(i);
    }
    size_t osize = class_size[c];
    uint32_t count = uint32_t((npages << page_shift) / osize);
    char* base = address_of(start);
    free_object* head = nullptr;
    for (uint32_t i = count; i-- > 0;) {
        auto* o = reinterpret_cast<free_object*>(base + i * osize);
        o->next = head;
        head = o;
    }
    d->kind = kind;
    d->head_offset = 0;
    d->npages = uint32_t(npages);
    d->cls = uint8_t(c);
    d->free = nullptr;
    d->local_free = head;
    d->used = 0;
    d->capacity = count;
    d->state = span_full; // on no list until the caller puts it somewhere
    ++_classes[c].spans;
    return d;
}

void shard_heap::release_small_span(page_desc* d) noexcept {
    --_classes[d->cls].spans;
    free_span(index_of(d), d->npages);
}

// Makes d (not current, with free objects on local_free) the class's current span: its free
// objects move to `free`, where the fast path takes them, and count as allocated from now
// on (class_allocs() subtracts what is still on the list).
void shard_heap::install_current(unsigned c, page_desc* d) noexcept {
    _class_allocs[c] += d->capacity - d->used;
    d->free = d->local_free;
    d->local_free = nullptr;
    d->used = d->capacity + 1; // everything off local_free, and the pin
    d->state = span_current;
    _classes[c].current = d;
}

// One object from a span that is not current (failure injection keeps every allocation on
// the slow path this way).
void* shard_heap::allocate_one(page_desc* d) noexcept {
    free_object* o = d->local_free;
    d->local_free = o->next;
    ++d->used;
    ++_class_allocs[d->cls];
    return o;
}

// Takes the class's current span out of service: back to the partial list, or to the
// page allocator if empty. What is left on its `free` list goes back to local_free, and its
// `used` becomes the objects in use again (without the pin).
void shard_heap::park_current(unsigned c) noexcept {
    class_state& cs = _classes[c];
    page_desc* d = cs.current;
    if (d == &_sentinel) {
        return;
    }
    cs.current = &_sentinel;
    if (free_object* f = d->free) {
        size_t n = 1;
        free_object* tail = f;
        for (; tail->next; tail = tail->next) {
            ++n;
        }
        tail->next = d->local_free;
        d->local_free = f;
        d->free = nullptr;
        d->used -= uint32_t(n);
        _class_allocs[c] -= n;
    }
    if (--d->used == 0) {
        release_small_span(d);
    } else if (d->local_free) {
        d->state = span_partial;
        list_push(cs.partial, d);
    } else {
        d->state = span_full;
    }
}

void* shard_heap::allocate_small_slow(unsigned c) noexcept {
    if (has_remote()) {
        drain_remote();
    }
    if (_inject_armed && injected_failure()) {
        return nullptr;
    }
    class_state& cs = _classes[c];
    page_desc* d = cs.current;
    if (d != &_sentinel) {
        if (!d->free && d->local_free) {
            // What was freed to the current span since its list ran out is all on
            // local_free: hand it to the fast path in one go.
            _class_allocs[c] += d->capacity + 1 - d->used;
            d->free = d->local_free;
            d->local_free = nullptr;
            d->used = d->capacity + 1;
        }
        if (free_object* o = d->free) {
            d->free = o->next;
            return o;
        }
        park_current(c);
    }
    d = cs.partial;
    if (d) {
        list_remove(cs.partial, d);
        if (d->used == 0) {
            --cs.empty;
        }
    } else {
        d = new_small_span(c);
        if (!d) {
            ++_counters.failed;
            return nullptr;
        }
    }
    if (_inject_armed) {
        // Keep the sentinel in place so the next allocation is counted too.
        void* o = allocate_one(d);
        if (d->local_free) {
            d->state = span_partial;
            list_push(cs.partial, d);
        } else {
            d->state = span_full;
        }
        return o;
    }
    install_current(c, d);
    free_object* o = d->free;
    d->free = o->next;
    return o;
}

void shard_heap::small_free_slow(page_desc* d) noexcept {
    if (d->state == span_current) {
        return; // its local_free was empty; its pin keeps it from being empty
    }
    class_state& cs = _classes[d->cls];
    if (d->used == 0 && cs.empty >= cs.max_empty) {
        if (d->state == span_partial) {
            list_remove(cs.partial, d);
        }
        release_small_span(d);
        return;
    }
    if (d->used == 0) {
        ++cs.empty;
    }
    if (d->state == span_full) { // it has room again
        d->state = span_partial;
        list_push(cs.partial, d);
    }
}

void shard_heap::free_small_lifo(void* p, page_desc* d) noexcept {
    auto* o = static_cast<free_object*>(p);
    unsigned c = d->cls;
    ++_class_frees[c];
    if (d->state == span_current) {
        // Back on the list the fast path pops: still off local_free, so `used` stays, and
        // counted now as the allocation that will take it again (see install_current()).
        o->next = d->free;
        d->free = o;
        ++_class_allocs[c];
        return;
    }
    free_object* f = d->local_free;
    o->next = f;
    d->local_free = o;
    if (--d->used == 0 || f == nullptr) {
        small_free_slow(d);
    }
}

// ---- large objects and alignment -----------------------------------------------------------

void* shard_heap::allocate_pages(size_t npages, size_t align_pages) noexcept {
    if (_inject_armed && injected_failure()) {
        return nullptr;
    }
    if (npages == 0) {
        npages = 1;
    }
    // Requests beyond the region cannot succeed (and would overflow the arithmetic below).
    if (npages > _end_page - _first_page || align_pages > _end_page - _first_page) {
        ++_counters.failed;
        return nullptr;
    }
    page_desc* d = alloc_span(npages, align_pages);
    if (!d) {
        ++_counters.failed;
        return nullptr;
    }
    size_t start = index_of(d);
    mark_used(start, npages, kind_large);
    ++_counters.large_allocs;
    return address_of(start);
}

void shard_heap::free_large(void* p, page_desc* d) noexcept {
    if (__builtin_expect(d->kind != kind_large || d->head_offset != 0, 0)) {
        // Double free or a pointer this heap never handed out.
        std::abort();
    }
    ++_counters.large_frees;
    size_t n = d->npages;
    if (n <= cache_max_pages) {
        if (free_object* prev = _hot) {
            // The span waiting apart joins its list; it was already within the bound.
            size_t pn = hot_pages();
            prev->next = _cache[pn];
            _cache[pn] = prev;
            _cache_pages += pn;
            _hot = nullptr;
        }
        if (_cache_pages + n <= _cache_cap) {
            d->kind = kind_cached; // a second free of the same pointer still aborts
            _hot = static_cast<free_object*>(p);
            return;
        }
    }
    d->kind = kind_reserved; // catches a second free of the same pointer
    free_span(index_of(d), n);
}

void* shard_heap::allocate_large(size_t size) noexcept {
    if (size > (size_t(1) << 62)) {
        ++_counters.failed;
        return nullptr;
    }
    return allocate_pages((size + page - 1) >> page_shift, 1);
}

remote_block* shard_heap::allocate_block() noexcept {
    if (_inject_armed) {
        return nullptr;
    }
    bool in_pressure = _in_pressure;
    _in_pressure = true;
    void* p = allocate(sizeof(remote_block));
    _in_pressure = in_pressure;
    if (p) {
        --_class_allocs[size_class_of(sizeof(remote_block))]; // not the program's allocation
    }
    return static_cast<remote_block*>(p);
}

void* shard_heap::allocate_aligned(size_t align, size_t size) noexcept {
    if (align == 0 || (align & (align - 1)) != 0) {
        return nullptr;
    }
    if (align <= 16) {
        return allocate(size);
    }
    if (align <= page && size <= small_limit) {
        size_t want = size < align ? align : size;
        // Objects of a class whose size is a multiple of `align` are all aligned to it,
        // because spans start on a page. Powers of two up to a page are classes, so one fits.
        for (unsigned c = size_class_of(want); c < nr_size_classes; ++c) {
            if (class_size[c] % align == 0) {
                return allocate_class(c);
            }
        }
    }
    if (size > (size_t(1) << 62) || align > (size_t(1) << 62)) {
        ++_counters.failed;
        return nullptr;
    }
    if (align <= page) {
        return allocate(size); // spans are page aligned; this may come from the cache
    }
    return allocate_pages((size + page - 1) >> page_shift, align >> page_shift);
}

size_t shard_heap::usable_size(const void* p) const noexcept {
    const page_desc* d = descs() + ((uintptr_t(p) - uintptr_t(this)) >> page_shift);
    d -= d->head_offset;
    if (d->kind == kind_small || d->kind == kind_small_lifo) {
        return class_size[d->cls];
    }
    return size_t(d->npages) << page_shift;
}

// ---- cross-shard return -------------------------------------------------------------------

void shard_heap::push_remote(void* p) noexcept {
    auto* o = static_cast<free_object*>(p);
    free_object* head = _remote.load(std::memory_order_relaxed);
    do {
        o->next = head;
    } while (!_remote.compare_exchange_weak(head, o, std::memory_order_release, std::memory_order_relaxed));
}

void shard_heap::push_remote_chain(free_object* head, free_object* tail) noexcept {
    free_object* old = _remote.load(std::memory_order_relaxed);
    do {
        tail->next = old;
    } while (!_remote.compare_exchange_weak(old, head, std::memory_order_release, std::memory_order_relaxed));
}

// Returned objects arrive in runs from one span (a shard frees what another allocated in
// about the order it was allocated): each run is spliced onto its span's local_free whole,
// so that the only write to the objects is one link per run. The reads of the links are
// what moves the objects' cache lines back to this thread, as they must.
size_t shard_heap::drain_remote() noexcept {
    if (!has_remote()) {
        return 0;
    }
    size_t n = 0;
    if (_remote_blocks.load(std::memory_order_relaxed)) {
        remote_block* b = _remote_blocks.exchange(nullptr, std::memory_order_acquire);
        while (b) {
            remote_block* next = b->next;
            uint32_t count = b->count;
            if (count == remote_block::spent) {
                // One of ours, back from the heap it was sent to.
                free_local(b);
                --_class_frees[size_class_of(sizeof(remote_block))];
                b = next;
                continue;
            }
            if (count > 0) {
                // Linked here, by the owner: the objects' lines are written where they
                // will be allocated again.
                for (uint32_t i = 0; i + 1 < count; ++i) {
                    static_cast<free_object*>(b->ptrs[i])->next = static_cast<free_object*>(b->ptrs[i + 1]);
                }
                static_cast<free_object*>(b->ptrs[count - 1])->next = nullptr;
                n += drain_chain(static_cast<free_object*>(b->ptrs[0]));
            }
            if (_block_release) {
                _block_release(b);
            }
            b = next;
        }
    }
    if (_remote.load(std::memory_order_relaxed)) {
        n += drain_chain(_remote.exchange(nullptr, std::memory_order_acquire));
    }
    _counters.cross_frees_received += n;
    return n;
}

size_t shard_heap::drain_chain(free_object* o) noexcept {
    size_t n = 0;
    while (o) {
        page_desc* d = desc((uintptr_t(o) - uintptr_t(this)) >> page_shift);
        if (d->kind != kind_small && d->kind != kind_small_lifo) {
            free_object* next = o->next;
            free_local(o);
            o = next;
            ++n;
            continue;
        }
        d -= d->head_offset;
        uintptr_t base = uintptr_t(address_of(index_of(d)));
        uintptr_t bytes = uintptr_t(d->npages) << page_shift;
        free_object* first = o;
        free_object* last = o;
        uint32_t run = 1;
        for (o = o->next; o && uintptr_t(o) - base < bytes; o = o->next) {
            last = o;
            ++run;
        }
        free_object* f = d->local_free;
        last->next = f;
        d->local_free = first;
        _class_frees[d->cls] += run;
        d->used -= run;
        n += run;
        if (f == nullptr || d->used == 0) {
            small_free_slow(d);
        }
    }
    return n;
}

void shard_heap::push_remote_block(remote_block* b) noexcept {
    remote_block* old = _remote_blocks.load(std::memory_order_relaxed);
    do {
        b->next = old;
    } while (!_remote_blocks.compare_exchange_weak(old, b, std::memory_order_release, std::memory_order_relaxed));
}

} // namespace seastar::memory::internal
