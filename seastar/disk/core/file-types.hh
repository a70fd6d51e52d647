// Vocabulary of the file API: open flags, permissions, access checks,
// directory entry types and file system types (Seastar's names and values).
//
// Contract: plain values and constexpr operators; nothing here allocates or
// throws. open_flags values are the O_* flags they stand for, so they can be
// or-ed with each other and passed to open(2).
//
//     auto flags = seastar::open_flags::rw | seastar::open_flags::create;
//     auto perms = seastar::file_permissions::user_read | seastar::file_permissions::user_write;
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace seastar {

enum class open_flags {
    rw = O_RDWR,
    ro = O_RDONLY,
    wo = O_WRONLY,
    create = O_CREAT,
    truncate = O_TRUNC,
    exclusive = O_EXCL,
    dsync = O_DSYNC,
};

constexpr open_flags operator|(open_flags a, open_flags b) noexcept {
    return open_flags(int(a) | int(b));
}

constexpr void operator|=(open_flags& a, open_flags b) noexcept {
    a = a | b;
}

constexpr open_flags operator&(open_flags a, open_flags b) noexcept {
    return open_flags(int(a) & int(b));
}

constexpr void operator&=(open_flags& a, open_flags b) noexcept {
    a = a & b;
}

enum class file_permissions : int {
    user_read = S_IRUSR,
    user_write = S_IWUSR,
    user_execute = S_IXUSR,
    group_read = S_IRGRP,
    group_write = S_IWGRP,
    group_execute = S_IXGRP,
    others_read = S_IROTH,
    others_write = S_IWOTH,
    others_execute = S_IXOTH,
    user_permissions = user_read | user_write | user_execute,
    group_permissions = group_read | group_write | group_execute,
    others_permissions = others_read | others_write | others_execute,
    all_permissions = user_permissions | group_permissions | others_permissions,
    default_file_permissions = user_read | user_write | group_read | group_write | others_read | others_write,
    default_dir_permissions = all_permissions,
};

constexpr file_permissions operator|(file_permissions a, file_permissions b) noexcept {
    return file_permissions(int(a) | int(b));
}

constexpr file_permissions operator&(file_permissions a, file_permissions b) noexcept {
    return file_permissions(int(a) & int(b));
}

enum class access_flags {
    exists = F_OK,
    read = R_OK,
    write = W_OK,
    execute = X_OK,
    lookup = execute,
};

constexpr access_flags operator|(access_flags a, access_flags b) noexcept {
    return access_flags(int(a) | int(b));
}

constexpr access_flags operator&(access_flags a, access_flags b) noexcept {
    return access_flags(int(a) & int(b));
}

enum class directory_entry_type {
    unknown,
    block_device,
    char_device,
    directory,
    fifo,
    link,
    regular,
    socket,
};

enum class fs_type {
    other,
    xfs,
    ext2,
    ext3,
    ext4,
    btrfs,
    hfs,
    tmpfs,
};

} // namespace seastar
