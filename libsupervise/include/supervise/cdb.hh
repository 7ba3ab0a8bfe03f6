// Constant databases: the cdb files of s6's access rules (s6-ipcserver-access -x,
// s6-accessrules-cdb-from-fs, s6-fdholderd -x), read and written in D. J. Bernstein's cdb
// format, which skalibs' cdb and cdbmake implement.  The writer lays out a file exactly as
// skalibs' cdbmake does for the same records in the same order, so both sides read each
// other's files and produce the same bytes.
//
// Byte layout (all integers 32-bit little-endian):
//   offset 0     header: 256 slots (table_pos, table_len), 8 bytes each, 2048 bytes in all
//   offset 2048  records, in the order they were added: key_len, data_len, key, data
//   then         256 hash tables, table i of table_len[i] slots (hash, record_pos), 8 bytes each
// A key's hash is h = 5381, then h = (h * 33) ^ byte for each byte (32-bit).  It lives in table
// h % 256, and its search starts at slot (h / 256) % table_len, going round the table until an
// empty slot (record_pos 0).  A table has twice as many slots as it has records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sv {

// The cdb hash of key.
std::uint32_t cdb_hash(std::string_view key) noexcept;

// A cdb file mapped read-only.  Move-only; unmaps on destruction.
class cdb {
public:
    cdb() noexcept = default;
    cdb(cdb &&o) noexcept;
    cdb &operator=(cdb &&o) noexcept;
    cdb(cdb const &) = delete;
    cdb &operator=(cdb const &) = delete;
    ~cdb();

    // Maps the file at path (or the file open on fd, which stays the caller's).  False with
    // errno set on failure; a file too short for the header gives EPROTO.
    bool open(char const *path) noexcept;
    bool open_fd(int fd) noexcept;
    bool is_open() const noexcept { return map_ != nullptr; }
    std::string_view bytes() const noexcept { return {map_, size_}; }

    // Iterates over the records with one key, in the order they were added.
    class finder {
    public:
        finder(cdb const &db, std::string_view key) noexcept;
        // 1 with data set to the next record's data, 0 when there are no more, -1 with errno
        // EPROTO when the file is malformed.
        int next(std::string_view &data) noexcept;

    private:
        cdb const &db_;
        std::string_view key_;
        std::uint32_t hash_ = 0, table_pos_ = 0, slots_ = 0, slot_ = 0, tried_ = 0;
        bool started_ = false;
    };

    // The first record with key: 1 found (data set), 0 absent, -1 malformed (errno EPROTO).
    int find(std::string_view key, std::string_view &data) const noexcept;

    // Every record in file order: call with pos = 0 first; 1 with key and data set, 0 at the
    // end, -1 when malformed (errno EPROTO).
    int next_record(std::uint32_t &pos, std::string_view &key,
                    std::string_view &data) const noexcept;

private:
    bool range(std::uint32_t pos, std::uint32_t len) const noexcept
    {
        return pos <= size_ && len <= size_ - pos;
    }
    std::uint32_t u32(std::uint32_t pos) const noexcept;

    char const *map_ = nullptr;
    std::uint32_t size_ = 0;
};

// Builds a cdb in memory and writes it to an fd: add() the records, then finish().  For the
// one-shot tools; it allocates.
class cdb_writer {
public:
    // False with errno EOVERFLOW when the file would pass 4 GiB.
    bool add(std::string_view key, std::string_view data);
    // Writes the whole file to fd (at its current offset).  False with errno set.
    bool finish(int fd);
    // The whole file as bytes (what finish writes).
    std::string image() const;

private:
    struct entry {
        std::uint32_t hash, pos;
    };
    std::string records_;
    std::vector<entry> entries_;
};

} // namespace sv
