# sqlite_workload.py — a deterministic SQL script of 120,000 rows (inserts, an
# index, aggregates, updates, deletes) for sqlite3 with and without DMMS.
import random
random.seed(7)
print("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL, tag TEXT);")
print("BEGIN;")
for i in range(120000):
    print(f"INSERT INTO t(name, value, tag) VALUES('name{i % 977}_{'x' * (i % 37)}', {random.random() * 1000:.6f}, 'tag{i % 13}');")
print("COMMIT;")
print("CREATE INDEX t_name ON t(name);")
print("SELECT tag, count(*), round(sum(value), 3), max(length(name)) FROM t GROUP BY tag ORDER BY tag;")
print("SELECT name, count(*) FROM t GROUP BY name ORDER BY count(*) DESC, name LIMIT 5;")
print("UPDATE t SET value = value * 2 WHERE id % 7 = 0;")
print("DELETE FROM t WHERE id % 11 = 0;")
print("SELECT count(*), round(avg(value), 4) FROM t;")
print("SELECT group_concat(name, ',') FROM (SELECT name FROM t WHERE id % 1000 = 1 ORDER BY id);")
