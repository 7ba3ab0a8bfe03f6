#include <supervise/cdb.hh>

#include <array>
#include <cerrno>
#include <climits>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <supervise/fd.hh>

namespace sv {

namespace {

constexpr std::uint32_t header_size = 2048;

void put_u32(std::string &out, std::uint32_t v)
{
    char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                 static_cast<char>(v >> 24)};
    out.append(b, 4);
}

void set_u32(std::string &out, std::size_t at, std::uint32_t v) noexcept
{
    for (int i = 0; i < 4; i++) out[at + i] = static_cast<char>(v >> (8 * i));
}

} // namespace

std::uint32_t cdb_hash(std::string_view key) noexcept
{
    std::uint32_t h = 5381;
    for (unsigned char c : key) h = ((h << 5) + h) ^ c;
    return h;
}

cdb::cdb(cdb &&o) noexcept : map_(o.map_), size_(o.size_)
{
    o.map_ = nullptr;
    o.size_ = 0;
}

cdb &cdb::operator=(cdb &&o) noexcept
{
    if (this != &o) {
        this->~cdb();
        map_ = o.map_;
        size_ = o.size_;
        o.map_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

cdb::~cdb()
{
    if (map_) ::munmap(const_cast<char *>(map_), size_);
    map_ = nullptr;
}

bool cdb::open(char const *path) noexcept
{
    unique_fd fd(::open(path, O_RDONLY | O_CLOEXEC));
    return fd && open_fd(fd.get());
}

bool cdb::open_fd(int fd) noexcept
{
    struct stat st;
    if (::fstat(fd, &st) < 0) return false;
    if (st.st_size < header_size) {
        errno = EPROTO;
        return false;
    }
    if (static_cast<std::uint64_t>(st.st_size) > UINT32_MAX) {
        errno = EOVERFLOW;
        return false;
    }
    void *m = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) return false;
    this->~cdb();
    map_ = static_cast<char const *>(m);
    size_ = static_cast<std::uint32_t>(st.st_size);
    return true;
}

std::uint32_t cdb::u32(std::uint32_t pos) const noexcept
{
    auto const *p = reinterpret_cast<unsigned char const *>(map_ + pos);
    return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

cdb::finder::finder(cdb const &db, std::string_view key) noexcept : db_(db), key_(key) {}

int cdb::finder::next(std::string_view &data) noexcept
{
    if (!db_.map_) return 0;
    if (!started_) {
        started_ = true;
        hash_ = cdb_hash(key_);
        std::uint32_t const h = (hash_ & 255) * 8;
        table_pos_ = db_.u32(h);
        slots_ = db_.u32(h + 4);
        if (!slots_) return 0;
        if (slots_ > (db_.size_ - header_size) / 8 || !db_.range(table_pos_, slots_ * 8)) {
            errno = EPROTO;
            return -1;
        }
        slot_ = (hash_ >> 8) % slots_;
    }
    while (tried_ < slots_) {
        std::uint32_t const at = table_pos_ + slot_ * 8;
        std::uint32_t const h = db_.u32(at), pos = db_.u32(at + 4);
        tried_++;
        if (++slot_ == slots_) slot_ = 0;
        if (!pos) return 0;
        if (h != hash_) continue;
        if (!db_.range(pos, 8)) {
            errno = EPROTO;
            return -1;
        }
        std::uint32_t const klen = db_.u32(pos), dlen = db_.u32(pos + 4);
        if (!db_.range(pos + 8, klen) || !db_.range(pos + 8 + klen, dlen)) {
            errno = EPROTO;
            return -1;
        }
        if (std::string_view(db_.map_ + pos + 8, klen) != key_) continue;
        data = {db_.map_ + pos + 8 + klen, dlen};
        return 1;
    }
    return 0;
}

int cdb::find(std::string_view key, std::string_view &data) const noexcept
{
    finder f(*this, key);
    return f.next(data);
}

int cdb::next_record(std::uint32_t &pos, std::string_view &key,
                     std::string_view &data) const noexcept
{
    if (!map_) return 0;
    if (pos < header_size) pos = header_size;
    // The records end where the first hash table starts (table 0's position).
    std::uint32_t const end = u32(0);
    if (end > size_ || end < header_size) {
        errno = EPROTO;
        return -1;
    }
    if (pos >= end) return 0;
    if (end - pos < 8) {
        errno = EPROTO;
        return -1;
    }
    std::uint32_t const klen = u32(pos), dlen = u32(pos + 4);
    if (klen > end - pos - 8 || dlen > end - pos - 8 - klen) {
        errno = EPROTO;
        return -1;
    }
    key = {map_ + pos + 8, klen};
    data = {map_ + pos + 8 + klen, dlen};
    pos += 8 + klen + dlen;
    return 1;
}

bool cdb_writer::add(std::string_view key, std::string_view data)
{
    std::uint64_t const pos = header_size + records_.size();
    // Room for this record and, later, two table slots per record.
    std::uint64_t const after = pos + 8 + key.size() + data.size() + 16 * (entries_.size() + 1);
    if (after > UINT32_MAX) {
        errno = EOVERFLOW;
        return false;
    }
    put_u32(records_, static_cast<std::uint32_t>(key.size()));
    put_u32(records_, static_cast<std::uint32_t>(data.size()));
    records_.append(key);
    records_.append(data);
    entries_.push_back({cdb_hash(key), static_cast<std::uint32_t>(pos)});
    return true;
}

std::string cdb_writer::image() const
{
    std::string out(header_size, '\0');
    out += records_;
    // Group the entries by table, keeping the order they were added in within each table.
    std::array<std::uint32_t, 256> count{}, start{};
    for (entry const &e : entries_) count[e.hash & 255]++;
    std::uint32_t sum = 0;
    for (int i = 0; i < 256; i++) {
        start[i] = sum;
        sum += count[i];
    }
    std::vector<entry> split(entries_.size());
    {
        std::array<std::uint32_t, 256> fill = start;
        for (entry const &e : entries_) split[fill[e.hash & 255]++] = e;
    }
    std::vector<entry> table;
    for (int i = 0; i < 256; i++) {
        std::uint32_t const len = count[i] * 2;
        set_u32(out, 8 * i, static_cast<std::uint32_t>(out.size()));
        set_u32(out, 8 * i + 4, len);
        table.assign(len, entry{0, 0});
        for (std::uint32_t u = 0; u < count[i]; u++) {
            entry const &e = split[start[i] + u];
            std::uint32_t where = (e.hash >> 8) % len;
            while (table[where].pos)
                if (++where == len) where = 0;
            table[where] = e;
        }
        for (entry const &e : table) {
            put_u32(out, e.hash);
            put_u32(out, e.pos);
        }
    }
    return out;
}

bool cdb_writer::finish(int fd)
{
    std::string const bytes = image();
    return write_full(fd, bytes);
}

} // namespace sv
