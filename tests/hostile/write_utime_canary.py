# category: write outside
# expect: refused
# Changes the canary's timestamps.
import os
os.utime("__CANARY__", (0, 0))
