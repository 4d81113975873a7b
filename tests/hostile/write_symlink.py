# category: write outside
# expect: refused
# A symlink in the cell's directory that points outside it.
import os
os.symlink("__WATCH_DIR__", "link")
open("link/pwned.txt", "w").write("pwned")
