# category: write outside
# expect: refused
# Writes into a directory of the server by absolute path.
open("__WATCH_DIR__/pwned.txt", "w").write("pwned")
