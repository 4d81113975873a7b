# category: write outside
# expect: refused
# chmod relative to a directory descriptor.
import os
fd = os.open("__WATCH_DIR__", os.O_RDONLY)
os.chmod("canary.txt", 0o777, dir_fd=fd)
