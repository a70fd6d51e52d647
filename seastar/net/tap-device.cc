#include "seastar/net/tap-device.hh"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "seastar/core/future.hh"
#include "seastar/core/loop.hh"
#include "seastar/core/pollable_fd.hh"
#include "seastar/core/posix.hh"
#include "seastar/core/temporary_buffer.hh"

namespace seastar::net {

namespace {

// What the receive loop and the queue share: the loop outlives the queue
// until its pending read fails.
struct tap_state {
    pollable_fd fd;
    class tap_qp* owner = nullptr;
    bool vnet = false; // each frame is preceded by a virtio_net_hdr
};

// struct virtio_net_hdr of <linux/virtio_net.h> (a header C++ cannot
// include): little-endian fields on a legacy TAP, native order here.
struct vnet_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
};
constexpr uint8_t vnet_needs_csum = 1; // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t vnet_data_valid = 2; // VIRTIO_NET_HDR_F_DATA_VALID
constexpr std::size_t vnet_size = sizeof(vnet_hdr);
static_assert(vnet_size == 10);

class tap_qp final : public qp {
    std::shared_ptr<tap_state> _s;
    uint32_t _buf_size;

public:
    tap_qp(file_desc fd, uint32_t max_frame, bool vnet)
        : _s(std::make_shared<tap_state>()), _buf_size(max_frame + (vnet ? vnet_size : 0)) {
        _s->fd = pollable_fd(std::move(fd));
        _s->owner = this;
        _s->vnet = vnet;
        (void)rx_loop(_s, _buf_size);
    }
    ~tap_qp() override {
        _s->owner = nullptr;
        _s->fd.close();
    }
    void received(frame f) noexcept { deliver(std::move(f)); }

private:
    static future<> rx_loop(std::shared_ptr<tap_state> s, uint32_t buf_size) {
        return repeat([s, buf_size] {
                   if (!s->owner) { // the queue is gone and closed the descriptor
                       return make_ready_future<stop_iteration>(stop_iteration::yes);
                   }
                   auto buf = temporary_buffer<char>(buf_size);
                   char* data = buf.get_write();
                   return s->fd.read_some(data, buf_size).then([s, buf = std::move(buf)](size_t n) mutable {
                       if (!s->owner || n == 0) {
                           return stop_iteration::yes;
                       }
                       offload_info oi;
                       if (s->vnet) {
                           if (n < vnet_size) {
                               return stop_iteration::no;
                           }
                           vnet_hdr h;
                           std::memcpy(&h, buf.get(), vnet_size);
                           // NEEDS_CSUM: a local sender left the checksum
                           // partial; DATA_VALID: the kernel verified it.
                           oi.rx_csum_good = h.flags & (vnet_needs_csum | vnet_data_valid);
                           buf.trim_front(vnet_size);
                           n -= vnet_size;
                       }
                       buf.trim(n);
                       s->owner->received(frame{packet(std::move(buf)), oi});
                       return stop_iteration::no;
                   });
               })
            .handle_exception([](std::exception_ptr) {
                // The queue closed the descriptor (ECANCELED), or the
                // interface went away: either way the loop ends.
            });
    }

protected:
    void send_batch(std::vector<frame>& batch) noexcept override {
        int fd = _s->fd.get_fd();
        for (auto& f : batch) {
            auto frags = f.p.fragments();
            std::vector<::iovec> iov;
            iov.reserve(frags.size() + 1);
            vnet_hdr h{};
            if (_s->vnet) {
                if (f.oi.needs_csum) {
                    // The kernel sums from the L4 header (whose checksum
                    // field holds the pseudo-header sum) and stores it.
                    uint16_t start = uint16_t(14 + f.oi.ip_hdr_len);
                    h.flags = vnet_needs_csum;
                    h.csum_start = start;
                    h.csum_offset = f.oi.l4_csum_offset;
                }
                iov.push_back({&h, vnet_size});
            }
            for (auto& fr : frags) {
                iov.push_back({fr.base, fr.size});
            }
            ssize_t r;
            do {
                r = ::writev(fd, iov.data(), int(iov.size()));
            } while (r < 0 && errno == EINTR);
            if (r < 0) {
                _stats.tx_dropped++;
            }
        }
    }
};

class tap_device final : public device {
    std::string _name;
    file_desc _fd;
    ethernet_address _mac;
    net::hw_features _hw;
    bool _vnet = false;

public:
    tap_device(const std::string& name, ethernet_address mac, uint16_t mtu) : _name(name), _mac(mac) {
        int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            throw std::system_error(errno, std::system_category(), "tap device " + name + ": open /dev/net/tun");
        }
        _fd = file_desc(fd);
        if (name.size() >= IFNAMSIZ) {
            throw std::system_error(EINVAL, std::system_category(), "tap device " + name + ": name too long");
        }
        ::ifreq ifr{};
        std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
        // With a vnet header when the kernel offers one (checksum offload
        // both ways), else plain frames.
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
        if (::ioctl(fd, TUNSETIFF, &ifr) == 0) {
            int size = int(vnet_size);
            _vnet = ::ioctl(fd, TUNSETVNETHDRSZ, &size) == 0;
        } else {
            ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
            if (::ioctl(fd, TUNSETIFF, &ifr) < 0) {
                throw std::system_error(errno, std::system_category(), "tap device " + name + ": TUNSETIFF");
            }
        }
        if (_vnet && ::ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) == 0) {
            _hw.tx_csum_l4_offload = true;
            _hw.rx_csum_offload = true;
        }
        _hw.mtu = mtu;
        _hw.max_packet_len = mtu + 14u;
    }
    ethernet_address hw_address() const noexcept override { return _mac; }
    const net::hw_features& hw_features() const noexcept override { return _hw; }
    std::unique_ptr<qp> make_queue(unsigned qid) override {
        if (qid != 0) {
            throw std::out_of_range("tap device: one queue only");
        }
        if (!_fd) {
            throw std::logic_error("tap device " + _name + ": queue 0 exists already");
        }
        // Frames up to the MTU plus the Ethernet header and a VLAN tag.
        return std::make_unique<tap_qp>(std::move(_fd), _hw.mtu + 18u, _vnet);
    }
};

} // namespace

std::shared_ptr<device> make_tap_device(const std::string& name, ethernet_address mac, uint16_t mtu) {
    return std::make_shared<tap_device>(name, mac, mtu);
}

} // namespace seastar::net
