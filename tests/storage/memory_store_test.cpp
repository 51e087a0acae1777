// memory_store's injected faults: failing calls report ec::storage_error and change
// nothing; the counters tell a test how callers used the store.
#include "storage/memory_store.hpp"

#include "messages/error.hpp"

#include <gtest/gtest.h>

namespace d1::storage {
namespace {

memory_store::faults failing_writes() {
  memory_store::faults f;
  f.fail_writes = true;
  return f;
}

memory_store::faults failing_reads() {
  memory_store::faults f;
  f.fail_reads = true;
  return f;
}

memory_store::faults writes_failing_after(int64_t n) {
  memory_store::faults f;
  f.fail_writes_after = n;
  return f;
}

TEST(memory_store_test, failing_writes_change_nothing) {
  memory_store store;
  ASSERT_FALSE(store.put("t", "kept", "1"));
  store.set_faults(failing_writes());
  auto err = store.put("t", "a", "1");
  ASSERT_TRUE(err);
  EXPECT_EQ(code_of(err), ec::storage_error);
  EXPECT_NE(context_of(err).find("MDB_MAP_FULL"), std::string::npos);
  write_batch batch;
  batch.put("t", "b", "2");
  batch.erase("t", "kept");
  EXPECT_EQ(code_of(store.write(batch)), ec::storage_error);
  EXPECT_EQ(code_of(store.erase("t", "kept")), ec::storage_error);
  EXPECT_EQ(code_of(store.clear("t")), ec::storage_error);
  // Reads still work and show nothing changed.
  EXPECT_EQ(*store.get("t", "a"), std::nullopt);
  EXPECT_EQ(*store.get("t", "kept"), std::optional<std::string>{"1"});
  EXPECT_EQ(*store.count("t"), 1u);
  auto c = store.stats();
  EXPECT_EQ(c.write_calls, 5u);
  EXPECT_EQ(c.failed_writes, 4u);
  EXPECT_EQ(c.written_ops, 1u);
  store.set_faults({});
  EXPECT_FALSE(store.put("t", "a", "1"));
}

TEST(memory_store_test, failing_reads) {
  memory_store store;
  ASSERT_FALSE(store.put("t", "a", "1"));
  store.set_faults(failing_reads());
  auto v = store.get("t", "a");
  ASSERT_FALSE(v);
  EXPECT_EQ(code_of(v.error()), ec::storage_error);
  EXPECT_FALSE(store.count("t"));
  int calls = 0;
  EXPECT_EQ(code_of(store.scan("t", [&](auto, auto) { return ++calls > 0; })),
            ec::storage_error);
  EXPECT_EQ(calls, 0);
  // Writes are unaffected.
  EXPECT_FALSE(store.put("t", "b", "2"));
}

TEST(memory_store_test, writes_fail_after_a_count) {
  memory_store store;
  store.set_faults(writes_failing_after(2));
  EXPECT_FALSE(store.put("t", "a", "1"));
  write_batch batch;
  batch.put("t", "b", "2");
  batch.put("t", "c", "3");
  EXPECT_FALSE(store.write(batch));
  EXPECT_TRUE(store.put("t", "d", "4"));
  EXPECT_TRUE(store.put("t", "e", "5"));
  EXPECT_EQ(*store.count("t"), 3u);
  auto c = store.stats();
  EXPECT_EQ(c.write_calls, 4u);
  EXPECT_EQ(c.written_ops, 3u);
  EXPECT_EQ(c.failed_writes, 2u);
}

}  // namespace
}  // namespace d1::storage
