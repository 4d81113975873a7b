# category: write outside
# expect: refused
# Creates a file inside, then renames it to outside.
import os
open("x.txt", "w").write("pwned")
os.rename("x.txt", "__WATCH_DIR__/pwned.txt")
