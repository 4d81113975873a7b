# category: spawning shells
# expect: refused
# os.posix_spawn.
import os
os.posix_spawn("/bin/sh", ["sh", "-c", "touch __WATCH_DIR__/pwned.txt"], {})
