# category: spawning shells
# expect: refused
# Replaces itself with a shell.
import os
os.execv("/bin/sh", ["sh", "-c", "touch __WATCH_DIR__/pwned.txt"])
