# category: spawning shells
# expect: refused
# os.system.
import os
os.system("touch __WATCH_DIR__/pwned.txt")
