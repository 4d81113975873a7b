# category: write outside
# expect: refused
# os.open relative to a directory descriptor of a directory outside.
import os
fd = os.open("__WATCH_DIR__", os.O_RDONLY)
os.write(os.open("pwned.txt", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd), b"pwned")
