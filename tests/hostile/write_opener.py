# category: write outside
# expect: refused
# open() with an opener that redirects to a directory outside.
import os
def opener(path, flags):
    return os.open(path, flags, dir_fd=os.open("__WATCH_DIR__", os.O_RDONLY))
open("pwned.txt", "w", opener=opener).write("pwned")
