# category: spawning shells
# expect: refused
# os.spawnv.
import os
os.spawnv(os.P_WAIT, "/bin/sh", ["sh", "-c", "touch __WATCH_DIR__/pwned.txt"])
