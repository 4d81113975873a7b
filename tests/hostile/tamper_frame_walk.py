# category: sys.modules tampering
# expect: refused
# Walks up the frames to the sandbox runner and clears what it finds.
import sys
f = sys._getframe(0)
while f is not None:
    for value in list(f.f_globals.values()):
        if isinstance(value, (set, list)):
            value.clear()
    f = f.f_back
import os
os.system("touch __WATCH_DIR__/pwned.txt")
