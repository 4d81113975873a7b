# category: write outside
# expect: refused
# Changes the canary's mode through a file descriptor.
import os
fd = os.open("__CANARY__", os.O_RDONLY)
os.fchmod(fd, 0o777)
