# category: read files
# expect: refused
# Opens the conversation store with sqlite3 (C code, no Python 'open' event).
import sqlite3
con = sqlite3.connect("__STORE__")
print(con.execute("select * from sqlite_master").fetchall())
