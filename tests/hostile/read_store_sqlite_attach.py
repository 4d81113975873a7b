# category: read files
# expect: refused, error
# Attaches the conversation store with SQL: no audit event; Landlock (where present) makes SQLite fail to open it.
import sqlite3
con = sqlite3.connect(":memory:")
con.execute("attach database '__STORE__' as s")
print(con.execute("select * from s.sqlite_master").fetchall())
